/**
 * Actions (POST): `/actions/preview` answers with what the CLI's `--dry-run` prints and a confirm
 * button; `/actions/apply` does it. The form says which jobs: the checked ones (`id`), or every job
 * the selectors match (`f_<selector>`), exactly as on the command line.
 */
import type { Context, Hono } from "hono";
import { UsageError } from "../../model/errors.ts";
import { ACTIONS, type ActionName, type ActionRequest } from "../backend.ts";
import { errorDialog, outcomeDialog, previewDialog } from "../pages/dialog.ts";
import { selectorsFrom } from "../pages/jobs-table.ts";
import { failure, htmlResponse, type WebApp } from "./app-context.ts";

async function actionRequest(c: Context): Promise<ActionRequest> {
  const body = await c.req.parseBody({ all: true });
  const all = (k: string): string[] => {
    const v = body[k];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
      (x): x is string => typeof x === "string",
    );
  };
  const one = (k: string) => all(k)[0];
  const action = one("action");
  if (!ACTIONS.includes(action as ActionName))
    throw new UsageError(`unknown action "${action ?? ""}": one of ${ACTIONS.join(", ")}`);
  const scope = one("scope") ?? "checked";
  const selection =
    scope === "matching"
      ? selectorsFrom(
          (k) => one(`f_${k}`),
          (k) => all(`f_${k}`),
        )
      : selectorsFrom(
          (k) => (k === "id" ? one("id") : undefined),
          (k) => (k === "id" ? all("id") : []),
        );
  if (scope !== "matching" && !selection.id)
    throw new UsageError("no job is checked: check some jobs, or choose all matching jobs");
  return {
    action: action as ActionName,
    selection,
    ...(one("taskLevel") === "1" && action === "rerun" ? { taskLevel: true } : {}),
  };
}

export function registerActions(app: Hono, w: WebApp): void {
  app.post("/actions/preview", async (c) => {
    try {
      const req = await actionRequest(c);
      return htmlResponse(c, previewDialog(req, await w.backend.preview(req)));
    } catch (e) {
      return failure(w, c, e, errorDialog);
    }
  });
  app.post("/actions/apply", async (c) => {
    try {
      const req = await actionRequest(c);
      const outcome = await w.backend.apply(req);
      c.header("HX-Trigger", "ferry:refresh");
      return htmlResponse(c, outcomeDialog(outcome));
    } catch (e) {
      return failure(w, c, e, errorDialog);
    }
  });
}
