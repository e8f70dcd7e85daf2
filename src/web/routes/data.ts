/**
 * Data the pages fetch on their own: the flow graph as JSON, a job's inputs or outputs a slice at
 * a time (or whole, as a download), and the two event streams — state changes and a job's logs.
 */
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { NotFoundError, UsageError } from "../../model/errors.ts";
import { COLLAPSE_THRESHOLD } from "../graph/flow-graph.ts";
import { jsonSlice, prettyJson } from "../pages/json-view.ts";
import { errorBox } from "../pages/parts.ts";
import { failure, htmlResponse, type WebApp } from "./app-context.ts";
import { describeError } from "./errors.ts";

const KEEPALIVE_MS = 15_000;

function numeric(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new UsageError(`${what} must be a number, got "${text}"`);
  return Number(text);
}

/** The last few pretty-printed values, so paging through 10 MB does not stringify it each time. */
class TextCache {
  readonly #map = new Map<string, string>();
  get(key: string, make: () => string): string {
    let v = this.#map.get(key);
    if (v === undefined) {
      v = make();
      if (this.#map.size >= 4) this.#map.delete(this.#map.keys().next().value!);
    } else this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }
}

export function registerData(app: Hono, w: WebApp): void {
  const texts = new TextCache();

  app.get("/flows/:id/graph.json", async (c) => {
    try {
      const id = numeric(c.req.param("id"), "flow id");
      const { jobs, edges } = await w.backend.flowGraph(id);
      if (jobs.length === 0) await w.backend.flow(id);
      const threshold = c.req.query("expand") === "1" ? Number.POSITIVE_INFINITY : COLLAPSE_THRESHOLD;
      return c.json(w.graphs.graph(id, jobs, edges, threshold));
    } catch (e) {
      const d = describeError(e);
      return c.json({ error: d.message }, d.status);
    }
  });

  app.get("/jobs/:id/data/:part", async (c: Context) => {
    try {
      const id = numeric(c.req.param("id"), "job id");
      const part = c.req.param("part");
      if (part !== "inputs" && part !== "outputs") throw new NotFoundError(`no ${part} on a job`);
      const { job } = await w.backend.job(id);
      const text = texts.get(`${id}:${job.updatedAt}:${part}`, () =>
        prettyJson(part === "inputs" ? job.inputs : job.outputs),
      );
      if (c.req.query("download") === "1")
        return c.body(text, 200, {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Disposition": `attachment; filename="job-${id}-${part}.json"`,
        });
      const offset = numeric(c.req.query("offset") ?? "0", "offset");
      return htmlResponse(c, jsonSlice(text, `/jobs/${id}/data/${part}`, offset));
    } catch (e) {
      return failure(w, c, e, errorBox);
    }
  });

  app.get("/events", (c) => {
    const flow = c.req.query("flow");
    const flowId = flow === undefined ? undefined : numeric(flow, "flow");
    const since = Number(c.req.header("last-event-id") ?? c.req.query("since") ?? "0") || 0;
    return streamSSE(c, async (stream) => {
      const done = new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        w.closing.addEventListener("abort", () => resolve(), { once: true });
      });
      const unsubscribe = w.feed.subscribe(since, {
        ...(flowId !== undefined ? { flowId } : {}),
        send: (changes, cursor) =>
          void stream.writeSSE({ event: "changes", id: String(cursor), data: JSON.stringify(changes) }),
        reload: () => void stream.writeSSE({ event: "reload", data: "{}" }),
      });
      const ping = setInterval(() => void stream.write(": keep-alive\n\n"), KEEPALIVE_MS);
      await done;
      clearInterval(ping);
      unsubscribe();
    });
  });

  app.get("/jobs/:id/logs", (c) => {
    const id = numeric(c.req.param("id"), "job id");
    return streamSSE(c, async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      w.closing.addEventListener("abort", () => stop.abort(), { once: true });
      try {
        await w.backend.followLogs(
          id,
          (text) => void stream.writeSSE({ event: "log", data: JSON.stringify(text) }),
          stop.signal,
        );
        await stream.writeSSE({ event: "end", data: "{}" });
      } catch (e) {
        await stream.writeSSE({ event: "problem", data: JSON.stringify(describeError(e).message) });
      }
    });
  });
}
