/**
 * Registers `ferry web` in the command table. The server and its dependencies (hono, esbuild for
 * the client) load only when the command runs, so other commands do not pay for them.
 */
import type { Command } from "commander";
import type { Context } from "../cli/context.ts";
import type { WebCommandOptions } from "./serve.ts";

export function registerWebCommand(
  program: Command,
  run: (fn: (c: Context) => Promise<void>) => () => Promise<void>,
): void {
  program
    .command("web")
    .description("the dashboard: flows, graphs, jobs, logs and actions in a browser")
    .option("--port <n>", "port to listen on (default: a free one)")
    .option("--host <address>", "address to listen on (default 127.0.0.1; anything else warns)")
    .addHelpText(
      "after",
      "\nThe URL printed holds a random access token; without it every page answers 401.\nFrom another machine: ssh -L 8080:127.0.0.1:PORT login-node, then open the URL with port 8080.",
    )
    .action((o: WebCommandOptions) => run(async (c) => (await import("./serve.ts")).webCommand(c, o))());
}
