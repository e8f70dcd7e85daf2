/**
 * `ferry web [--port N] [--host H]`: start the dashboard on the current project, print its URL
 * (with the access token) and serve until Ctrl+C or SIGTERM.
 */
import { openProject } from "../api/project.ts";
import type { Context } from "../cli/context.ts";
import { UsageError } from "../model/errors.ts";
import { projectBackend } from "./backend-project.ts";
import { startWebServer, type WebServer } from "./server.ts";

export interface WebCommandOptions {
  port?: string;
  host?: string;
}

function port(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new UsageError(`--port must be a number from 0 to 65535, got "${text}"`);
  return Number(text);
}

/** Serves until `stop` aborts (the command: until SIGINT or SIGTERM). */
export async function webCommand(
  ctx: Context,
  o: WebCommandOptions,
  stop?: AbortSignal,
  started?: (server: WebServer) => void,
): Promise<void> {
  const resolved = ctx.project();
  await using project = await openProject({ dir: resolved.file, database: resolved.database });
  await project.flows({ limit: 1 }); // a database that cannot be opened fails here, not on the first page
  const server = await startWebServer(projectBackend(project), {
    port: port(o.port),
    ...(o.host ? { host: o.host } : {}),
    log: (line) => ctx.out.error(`${line}\n`),
  });
  ctx.out.write(`ferry web: open ${server.url}\n(Ctrl+C stops it)\n`);
  started?.(server);
  const signal = stop ?? AbortSignal.any([]);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    signal.addEventListener("abort", done, { once: true });
    if (!stop) {
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    }
  });
  await server.close();
}
