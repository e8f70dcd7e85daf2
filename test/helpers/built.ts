/**
 * The `ferry` command as the package installs it, for tests and benchmarks that measure what a
 * user runs: a copy of this tree built with scripts/build.mjs, whose bin/ferry.mjs runs the
 * bundled CLI (dist/cli-bundle/). Used by test/scale-add.test.ts and bench/ (dispatch, peers,
 * startup).
 */
import { spawnSync } from "node:child_process";
import { cpSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The `ferry` command as the package installs it: a copy of this tree in `dir`, built with
 * scripts/build.mjs, whose bin/ferry.mjs runs the bundled CLI (dist/cli-bundle/). Returns the
 * path of that bin/ferry.mjs. With `sources`, this tree's own bin/ferry.mjs (the TypeScript
 * sources, as in a development checkout without dist/).
 */
export function ferryCommand(dir: string, sources = false): string {
  if (sources) return join(ROOT, "bin", "ferry.mjs");
  for (const entry of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"])
    cpSync(join(ROOT, entry), join(dir, entry));
  for (const sub of ["src", "bin", "scripts", "schema", "examples"])
    cpSync(join(ROOT, sub), join(dir, sub), { recursive: true, filter: (p) => !p.endsWith(".test.ts") });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: dir, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`building ferry in ${dir}: ${build.stderr}`);
  return join(dir, "bin", "ferry.mjs");
}
