/** What every route handler gets: the backend, the live feed, the graph cache, the page context. */
import type { Context } from "hono";
import type { WebBackend } from "../backend.ts";
import { FlowGraphCache } from "../graph/flow-graph.ts";
import type { Html } from "../html.ts";
import type { ChangeFeed } from "../live.ts";
import type { PageContext } from "../pages/layout.ts";
import { describeError } from "./errors.ts";

export interface WebApp {
  backend: WebBackend;
  feed: ChangeFeed;
  graphs: FlowGraphCache;
  csrf: string;
  /** Called with each server-side failure (never with a token or a cookie). */
  log(line: string): void;
  /** Streams to end when the server closes. */
  closing: AbortSignal;
}

export function newGraphCache(): FlowGraphCache {
  return new FlowGraphCache();
}

export async function pageContext(app: WebApp): Promise<PageContext> {
  return { csrf: app.csrf, project: app.backend.description, since: await app.feed.head() };
}

export function htmlResponse(
  c: Context,
  body: Html,
  status: 200 | 400 | 404 | 409 | 422 | 500 | 502 | 503 = 200,
) {
  return c.html(body.value, status);
}

export function failure(app: WebApp, c: Context, e: unknown, render: (message: string) => Html) {
  const d = describeError(e);
  if (d.internal)
    app.log(
      `ferry web: ${c.req.method} ${c.req.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
  return c.html(render(d.message).value, d.status);
}
