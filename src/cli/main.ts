#!/usr/bin/env node
/**
 * The `ferry` entry point. It turns on Node's compile cache before anything else loads: a
 * fresh `ferry` process then reuses the compiled (and type-stripped) modules of the last one —
 * `ferry --version` went from 330 ms to 120 ms on the 2-core test VM (bench/startup.ts).
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
import { enableCompileCache } from "node:module";
import type { Out } from "./output.ts";

/** Run a command line; resolves the exit code (README "Exit codes"). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  out?: Out,
): Promise<number> {
  // `ferry … | head` closes the pipe early: that is not an error
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") > 0) continue;
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const { run } = await import("./run.ts");
  return run(argv, env, out);
}

if (import.meta.main) {
  enableCompileCache();
  process.exitCode = await main(process.argv.slice(2));
}
