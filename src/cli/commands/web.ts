/**
 * `ferry web [--port N] [--host H]`: the dashboard on this project (src/web/). The server and its
 * dependencies (hono, esbuild for the client) load only when this command runs.
 */
import type { CliContext } from "../context.ts";

export interface WebFlags {
  port?: number;
  host?: string;
}

export async function web(ctx: CliContext, o: WebFlags): Promise<number> {
  const { webCommand } = await import("../../web/serve.ts");
  await webCommand(await ctx.project(), ctx.out, o);
  return 0;
}
