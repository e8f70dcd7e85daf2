/**
 * `ferry web [--port N] [--host H]`: start the dashboard on the current project, print its URL
 * (with the access token) and serve until Ctrl+C or SIGTERM.
 */
import type { Project } from "../api/project.ts";
import { projectBackend } from "./backend-project.ts";
import { startWebServer, type WebServer } from "./server.ts";

export interface WebCommandOptions {
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
}

interface Out {
  write(text: string): void;
  error(text: string): void;
}

/** Serves until `stop` aborts (the command: until SIGINT or SIGTERM). */
export async function webCommand(
  project: Project,
  out: Out,
  o: WebCommandOptions,
  stop?: AbortSignal,
  started?: (server: WebServer) => void,
): Promise<void> {
  await project.flows({ limit: 1 }); // a database that cannot be opened fails here, not on the first page
  const server = await startWebServer(projectBackend(project), {
    port: o.port ?? 0,
    ...(o.host ? { host: o.host } : {}),
    log: (line) => out.error(`${line}\n`),
  });
  out.write(`ferry web: open ${server.url}\n(Ctrl+C stops it)\n`);
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
