/**
 * What a bundle with py tasks carries: ferry's standard-library-only runner (exec/ferry_py.py),
 * and the .py file of every task given as a path, since the login side's path may not exist on
 * the compute node. Module tasks (`pkg.mod:fn`) carry nothing: the node's python imports them.
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import type { Task } from "../model/types.ts";
import { codeFile } from "../package-files.ts";
import type { Transport } from "../transport/types.ts";
import { type BundlePaths, pyFileInBundle } from "./layout.ts";

let runner: string | undefined;

/** The runner's source (read once per process). */
export function pyRunnerSource(): string {
  runner ??= readFileSync(codeFile("exec/ferry_py.py"), "utf8");
  return runner;
}

/** Write the runner and the file tasks' files from `startTask` on (earlier tasks do not run). */
export async function writePyFiles(
  t: Transport,
  paths: BundlePaths,
  tasks: readonly Task[],
  startTask: number,
): Promise<void> {
  const runs = tasks.map((task, i) => [task, i] as const).slice(startTask);
  if (!runs.some(([task]) => task.kind === "py")) return;
  await t.writeAtomic(paths.pyRunner, pyRunnerSource());
  for (const [task, i] of runs) {
    if (task.kind !== "py" || task.file === undefined) continue;
    const file = task.file;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read the file of py task ${i}: ${(e as Error).message}`);
    }
    const target = posix.join(paths.dir, pyFileInBundle(file, i));
    await t.mkdir(posix.dirname(target));
    await t.writeAtomic(target, text);
  }
}
