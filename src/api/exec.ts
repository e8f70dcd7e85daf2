/**
 * Run a job bundle (a launch directory) by hand, in the foreground: debugging, or a compute node
 * with ferry installed. The wrapper records everything in DIR/_ferry as it would under a batch
 * system; `ferry offline recover` (or the launcher) collects it as usual.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { bundlePaths } from "../bundle/layout.ts";
import { NotFoundError } from "../model/errors.ts";

/** Runs DIR's run.sh with `env` (the caller's environment: the CLI passes its own); resolves with its exit code. */
export async function execBundle(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const launchDir = resolve(dir);
  const paths = bundlePaths(launchDir);
  if (!existsSync(paths.script))
    throw new NotFoundError(`no job bundle in ${launchDir} (expected ${paths.script})`);
  return new Promise((done, fail) => {
    const child = spawn("sh", [paths.script], {
      stdio: "inherit",
      env: { ...env, FERRY_LAUNCH_DIR: launchDir },
    });
    child.on("error", fail);
    // the wrapper handles Ctrl+C itself (it records the signal); do not die before it does
    const ignore = () => {};
    process.on("SIGINT", ignore);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      done(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
