/**
 * worker.mjs: js tasks and ferry's worker runtime (exec/js-task.ts) bundled by esbuild into one
 * file, so a compute node needs only a `node` binary. Bundles are cached by content: the key
 * covers the task modules, and every input file esbuild read is checked by size and mtime
 * before a cached bundle is reused.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { type Issue, ValidationError } from "../model/errors.ts";
import type { JsTask, Task } from "../model/types.ts";
import { codeModule } from "../package-files.ts";

function runtimePath(): string {
  const p = codeModule("exec/js-task");
  if (existsSync(p)) return p;
  throw new Error("ferry's worker runtime (exec/js-task) is missing from this installation");
}

function entrySource(tasks: readonly Task[]): string {
  const lines = [`import { runJsTaskMain } from ${JSON.stringify(runtimePath())};`];
  const table: string[] = [];
  tasks.forEach((t, i) => {
    if (t.kind !== "js") return;
    lines.push(`import * as m${i} from ${JSON.stringify(t.module)};`);
    table.push(`${i}: [m${i}, ${JSON.stringify(t.export)}]`);
  });
  lines.push(`await runJsTaskMain({ ${table.join(", ")} });`);
  return lines.join("\n");
}

const BANNER =
  "import { createRequire as __ferryRequire } from 'node:module'; const require = __ferryRequire(import.meta.url);";

export function hasJsTasks(tasks: readonly Task[]): boolean {
  return tasks.some((t) => t.kind === "js");
}

interface CacheMeta {
  inputs: Record<string, [number, number]>;
}

function stamp(file: string): [number, number] | null {
  try {
    const s = statSync(file);
    return [s.size, s.mtimeMs];
  } catch {
    return null;
  }
}

/** Build (or reuse) the worker bundle for these tasks; returns its text. */
export async function buildWorkerBundle(tasks: readonly Task[], cacheDir: string | null): Promise<string> {
  const jsTasks = tasks.filter((t): t is JsTask => t.kind === "js");
  const key = createHash("sha256")
    .update(
      JSON.stringify([runtimePath(), tasks.map((t) => (t.kind === "js" ? [t.module, t.export] : null))]),
    )
    .digest("hex")
    .slice(0, 24);
  const cached = cacheDir ? join(cacheDir, `${key}.mjs`) : null;
  if (cached && existsSync(cached) && existsSync(`${cached}.json`)) {
    const meta = JSON.parse(readFileSync(`${cached}.json`, "utf8")) as CacheMeta;
    const fresh = Object.entries(meta.inputs).every(([f, s]) => {
      const now = stamp(f);
      return now !== null && now[0] === s[0] && now[1] === s[1];
    });
    if (fresh) return readFileSync(cached, "utf8");
  }
  let result: esbuild.BuildResult & { metafile: esbuild.Metafile; outputFiles: esbuild.OutputFile[] };
  try {
    result = await esbuild.build({
      stdin: {
        contents: entrySource(tasks),
        resolveDir: process.cwd(),
        loader: "js",
        sourcefile: "ferry-worker-entry.js",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node18",
      write: false,
      metafile: true,
      logLevel: "silent",
      banner: { js: BANNER },
      legalComments: "none",
    });
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors ?? [];
    throw new ValidationError(
      "cannot bundle the js tasks",
      errors.length > 0
        ? errors.map((m) => ({ file: m.location?.file, message: m.text }))
        : [{ message: (e as Error).message }],
    );
  }
  const text = result.outputFiles[0]!.text;
  if (cached && cacheDir) {
    mkdirSync(cacheDir, { recursive: true });
    const inputs: CacheMeta["inputs"] = {};
    for (const f of Object.keys(result.metafile.inputs)) {
      const abs = f.startsWith("/") ? f : join(process.cwd(), f);
      const s = stamp(abs);
      if (s) inputs[abs] = s;
    }
    for (const t of jsTasks) {
      const s = stamp(t.module);
      if (s) inputs[t.module] = s;
    }
    writeFileSync(cached, text);
    writeFileSync(`${cached}.json`, JSON.stringify({ inputs }));
  }
  return text;
}

/**
 * Check at `ferry add` time that every js task's module exists, compiles and exports the named
 * function (esbuild reports a missing ESM export), so a typo fails now, not on a compute node.
 */
export async function checkJsTasks(
  jobs: readonly { name: string; tasks: readonly Task[] }[],
  source?: string,
): Promise<void> {
  const issues: Issue[] = [];
  const seen = new Map<string, string | null>();
  for (const job of jobs) {
    for (const [i, t] of job.tasks.entries()) {
      if (t.kind !== "js") continue;
      const key = `${t.module}#${t.export}`;
      if (!seen.has(key)) {
        const imp =
          t.export === "default"
            ? `import x from ${JSON.stringify(t.module)}; x;`
            : `import { ${t.export} as x } from ${JSON.stringify(t.module)}; x;`;
        try {
          await esbuild.build({
            stdin: { contents: imp, resolveDir: process.cwd(), loader: "js" },
            bundle: true,
            platform: "node",
            format: "esm",
            write: false,
            logLevel: "silent",
          });
          seen.set(key, null);
        } catch (e) {
          const msgs = ((e as { errors?: esbuild.Message[] }).errors ?? []).map((m) => m.text);
          seen.set(key, msgs.join("; ") || (e as Error).message);
        }
      }
      const problem = seen.get(key);
      if (problem) issues.push({ file: source, job: job.name, field: `tasks[${i}].js`, message: problem });
    }
  }
  if (issues.length > 0)
    throw new ValidationError(`invalid js tasks${source ? ` in ${source}` : ""}`, issues);
}
