/** The pages (GET): flows, a flow, a job, workers, report, and the fragments htmx refreshes. */
import type { Context, Hono } from "hono";
import { UsageError } from "../../model/errors.ts";
import { type Html, html } from "../html.ts";
import { flowBody, flowSummary } from "../pages/flow.ts";
import { flowQueryFrom, flowsBody, flowsTable } from "../pages/flows.ts";
import { jobBody } from "../pages/job.ts";
import { JOBS_PAGE_SIZE, jobsTable, selectorForm, selectorsFrom } from "../pages/jobs-table.ts";
import { prettyJson } from "../pages/json-view.ts";
import { page } from "../pages/layout.ts";
import { errorBox } from "../pages/parts.ts";
import { reportBody } from "../pages/report.ts";
import { workersBody, workersTable } from "../pages/workers.ts";
import { failure, htmlResponse, pageContext, type WebApp } from "./app-context.ts";

function numericId(c: Context): number {
  const text = c.req.param("id") ?? "";
  if (!/^\d+$/.test(text)) throw new UsageError(`expected a numeric id, got "${text}"`);
  return Number(text);
}

function query(c: Context) {
  const url = new URL(c.req.url);
  return {
    params: url.searchParams,
    get: (k: string) => url.searchParams.get(k) ?? undefined,
    getAll: (k: string) => url.searchParams.getAll(k),
  };
}

export function registerPages(app: Hono, w: WebApp): void {
  const full = async (c: Context, title: string, active: string, body: () => Promise<Html>) => {
    try {
      const ctx = await pageContext(w);
      return htmlResponse(c, page(ctx, title, active, await body()));
    } catch (e) {
      return failure(w, c, e, (m) =>
        page({ csrf: w.csrf, project: w.backend.description, since: 0 }, "error", active, errorBox(m)),
      );
    }
  };
  const fragment = async (c: Context, body: () => Promise<Html>) => {
    try {
      return htmlResponse(c, await body());
    } catch (e) {
      return failure(w, c, e, errorBox);
    }
  };

  app.get("/", (c) => c.redirect("/flows", 302));

  app.get("/flows", (c) =>
    full(c, "Flows", "/flows", async () => {
      const { params } = query(c);
      const q = flowQueryFrom(params);
      return flowsBody(q, flowsTable(q, await w.backend.flows(q), params));
    }),
  );
  app.get("/flows/table", (c) =>
    fragment(c, async () => {
      const { params } = query(c);
      const q = flowQueryFrom(params);
      return flowsTable(q, await w.backend.flows(q), params);
    }),
  );

  const jobTable = async (c: Context, flowId: number) => {
    const { get, getAll } = query(c);
    const s = { ...selectorsFrom(get, getAll), flow: [String(flowId)] };
    const offset = Math.max(0, Number(get("offset")) || 0);
    const list = await w.backend.jobs(s, { offset, limit: JOBS_PAGE_SIZE });
    return { s, html: jobsTable(`/flows/${flowId}/jobs`, s, list, offset, JOBS_PAGE_SIZE) };
  };

  app.get("/flows/:id", (c) =>
    full(c, "Flow", "/flows", async () => {
      const id = numericId(c);
      const [f, t] = await Promise.all([w.backend.flow(id), jobTable(c, id)]);
      return flowBody(f, t.html, selectorForm(`/flows/${id}/jobs`, t.s), c.req.query("expand") === "1");
    }),
  );
  app.get("/flows/:id/summary", (c) =>
    fragment(c, async () => flowSummary(await w.backend.flow(numericId(c)))),
  );
  app.get("/flows/:id/jobs", (c) => fragment(c, async () => (await jobTable(c, numericId(c))).html));

  app.get("/jobs/:id", (c) =>
    full(c, "Job", "/flows", async () => {
      const d = await w.backend.job(numericId(c));
      return jobBody(d, { inputs: prettyJson(d.job.inputs), outputs: prettyJson(d.job.outputs) });
    }),
  );

  app.get("/workers", (c) =>
    full(c, "Workers", "/workers", async () => {
      const [load, runner] = await Promise.all([w.backend.workers(), w.backend.runner()]);
      return workersBody(load, runner);
    }),
  );
  app.get("/workers/table", (c) =>
    fragment(
      c,
      async () =>
        html`<div id="workers" hx-get="/workers/table" hx-trigger="ferry:changed from:body" hx-swap="outerHTML">${workersTable(await w.backend.workers())}</div>`,
    ),
  );

  app.get("/report", (c) =>
    full(c, "Report", "/report", async () => {
      const interval = c.req.query("interval") ?? "days";
      const text = c.req.query("count") ?? "14";
      const count = Number(text);
      if (!Number.isInteger(count) || count <= 0 || count > 366)
        throw new UsageError(`the number of intervals must be a whole number from 1 to 366, got "${text}"`);
      return reportBody(await w.backend.report({ interval, count }), count);
    }),
  );
}
