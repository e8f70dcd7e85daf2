/**
 * Files ferry reads at run time from its own package — the SQL migrations, the task supervisor,
 * the py and js task runtimes, the dashboard's client, the demo's examples, `bin/ferry.mjs` —
 * found from the package's root, not from the calling module's own location: the CLI is also
 * shipped as one bundle (dist/cli-bundle/, scripts/build.mjs) whose chunks sit elsewhere than
 * the modules they were built from. The root is the first folder above this module that holds
 * `package.json` and `bin/ferry.mjs`; code files live under `src/` when ferry runs from its
 * TypeScript sources and under `dist/` when it runs compiled or bundled.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The package's root folder (where package.json and bin/ are). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "bin", "ferry.mjs"))) {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error("ferry's package folder (package.json, bin/ferry.mjs) is not found above its code");
    dir = up;
  }
}

/** Whether this code runs from the TypeScript sources (else compiled or bundled, in dist/). */
export const FROM_SOURCES = import.meta.url.endsWith(".ts");

/** A file of the package, by its path from the package root (`examples/demo/flow.yaml`). */
export function packageFile(path: string): string {
  return join(packageRoot(), path);
}

/**
 * A file beside ferry's code, by its path under src/ or dist/ (`launcher/supervisor.py`):
 * the one in src/ from the sources, in dist/ when compiled or bundled.
 */
export function codeFile(path: string): string {
  return join(packageRoot(), FROM_SOURCES ? "src" : "dist", path);
}

/** A code module's file: `exec/js-task` → src/exec/js-task.ts or dist/exec/js-task.js. */
export function codeModule(path: string): string {
  return codeFile(`${path}.${FROM_SOURCES ? "ts" : "js"}`);
}
