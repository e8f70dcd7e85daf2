/**
 * The runner panel's fragment (GET /workers/runner, refreshed by the page) and the "stop runner"
 * action: `/runner/stop/preview` says which runners the stop flag would reach and asks to confirm;
 * `/runner/stop/apply` sets it, as `ferry runner stop` does (POSTs: same origin and CSRF token).
 */
import type { Hono } from "hono";
import { errorDialog } from "../pages/dialog.ts";
import { errorBox } from "../pages/parts.ts";
import { runnerPanel, stopOutcomeDialog, stopPreviewDialog } from "../pages/runner.ts";
import { failure, htmlResponse, type WebApp } from "./app-context.ts";

export function registerRunner(app: Hono, w: WebApp): void {
  app.get("/workers/runner", async (c) => {
    try {
      return htmlResponse(c, runnerPanel(await w.backend.runner()));
    } catch (e) {
      return failure(w, c, e, errorBox);
    }
  });
  app.post("/runner/stop/preview", async (c) => {
    try {
      return htmlResponse(c, stopPreviewDialog(await w.backend.runner()));
    } catch (e) {
      return failure(w, c, e, errorDialog);
    }
  });
  app.post("/runner/stop/apply", async (c) => {
    try {
      const { asked } = await w.backend.stopRunners();
      c.header("HX-Trigger", "ferry:refresh");
      return htmlResponse(c, stopOutcomeDialog(asked));
    } catch (e) {
      return failure(w, c, e, errorDialog);
    }
  });
}
