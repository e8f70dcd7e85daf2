/**
 * `ferry web`: the dashboard's HTTP server, inside the ferry process (Hono on Node's http module).
 * Bound to 127.0.0.1 unless told otherwise; every request needs the random token printed with
 * the URL (auth.ts). `close()` ends the live streams and the connections, then the server.
 */
import { isIP } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { ConflictError, UsageError } from "../model/errors.ts";
import { assets } from "./assets.ts";
import { authMiddleware, csrfToken, newToken } from "./auth.ts";
import type { WebBackend } from "./backend.ts";
import { FlowGraphCache } from "./graph/flow-graph.ts";
import { ChangeFeed, type FeedOptions } from "./live.ts";
import { registerActions } from "./routes/actions.ts";
import type { WebApp } from "./routes/app-context.ts";
import { registerData } from "./routes/data.ts";
import { registerPages } from "./routes/pages.ts";
import { registerRunner } from "./routes/runner.ts";

export interface WebServerOptions {
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** The access token; a random one by default. */
  token?: string;
  /** Where warnings and server-side failures go (never tokens). @defaultValue stderr */
  log?: (line: string) => void;
  feed?: FeedOptions;
}

export interface WebServer extends AsyncDisposable {
  /** The URL to open, token included. */
  url: string;
  /** The same URL without the token. */
  origin: string;
  token: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export async function startWebServer(
  backend: WebBackend,
  options: WebServerOptions = {},
): Promise<WebServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, got ${port}`);
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const loopback = isLoopback(host);
  if (!loopback)
    log(
      `ferry web: warning: listening on ${host}, reachable from other machines; the token is still required, but traffic is plain HTTP (use an SSH tunnel, or TLS in front)`,
    );
  const token = options.token ?? newToken();
  const closing = new AbortController();
  const feed = new ChangeFeed(backend, options.feed);
  const w: WebApp = {
    backend,
    feed,
    graphs: new FlowGraphCache(),
    csrf: csrfToken(token),
    log,
    closing: closing.signal,
  };

  const app = new Hono();
  let actualPort = port;
  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });
  app.use("*", (c, next) => authMiddleware({ token, port: actualPort, loopback })(c, next));
  app.get("/assets/:name", async (c) => {
    const a = (await assets())[c.req.param("name")];
    if (!a) return c.text("not found", 404);
    return c.body(a.body, 200, { "Content-Type": a.type, "Cache-Control": "no-cache" });
  });
  registerPages(app, w);
  registerData(app, w);
  registerActions(app, w);
  registerRunner(app, w);
  app.onError((e, c) => {
    log(`ferry web: ${c.req.method} ${c.req.path}: ${e.stack ?? e.message}`);
    return c.text("internal error", 500);
  });

  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new ConflictError(
              `port ${port} on ${host} is in use: choose another with --port (0 picks a free one)`,
            )
          : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND"
            ? new UsageError(`cannot listen on ${host}: no such address on this machine`)
            : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  actualPort = typeof address === "object" && address ? address.port : port;
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  const origin = `http://${shown}:${actualPort}`;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      closing.abort();
      feed.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as import("node:http").Server).closeAllConnections?.();
      });
    })();
    return closed;
  };
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    host,
    port: actualPort,
    close,
    [Symbol.asyncDispose]: close,
  };
}
