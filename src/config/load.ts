/**
 * Find, read and resolve ferry.yaml once; the frozen result is passed explicitly to everything
 * that needs it (never read from process.env deep in the code). Precedence:
 * defaults < file < environment (FERRY_DATABASE_URL) < flags.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { issuesFromZod, parseFlowText } from "../flow/parse.ts";
import { NotFoundError, ValidationError } from "../model/errors.ts";
import { didYouMean } from "../model/suggest.ts";
import type { DatabaseTarget } from "../model/types.ts";
import { projectSchema, type WorkerConfig } from "./schema.ts";

export const PROJECT_FILE = "ferry.yaml";

export type ResolvedWorker = WorkerConfig & { name: string; workDir: string };

export interface ResolvedProject {
  /** The project folder (where ferry.yaml is). */
  dir: string;
  file: string;
  database: DatabaseTarget;
  workers: Readonly<Record<string, ResolvedWorker>>;
  defaultWorker: string;
}

export interface LoadOptions {
  /** --project: a ferry.yaml or the folder holding one. */
  project?: string;
  /** --database: overrides the file and FERRY_DATABASE_URL. */
  database?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** --project, then FERRY_PROJECT, then ferry.yaml in the current folder or any parent. */
export function findProjectFile(options: LoadOptions = {}): string | null {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const given = options.project ?? env.FERRY_PROJECT;
  if (given) {
    const p = resolve(cwd, given);
    if (existsSync(p) && statSync(p).isDirectory()) return join(p, PROJECT_FILE);
    return p;
  }
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** "postgres://…" or "sqlite:path" / a plain path. */
export function parseDatabaseUrl(text: string, baseDir: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(text)) {
    const url = new URL(text);
    const schema = url.searchParams.get("schema") ?? undefined;
    url.searchParams.delete("schema");
    return { kind: "postgres", url: url.toString(), ...(schema ? { schema } : {}) };
  }
  const path = text.replace(/^sqlite:(\/\/)?/, "");
  return { kind: "sqlite", path: isAbsolute(path) ? path : resolve(baseDir, path) };
}

export function resolveProject(raw: unknown, file: string, options: LoadOptions = {}): ResolvedProject {
  const parsed = projectSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ValidationError(`invalid project file ${file}`, issuesFromZod(parsed.error, raw, file));
  const p = parsed.data;
  const dir = dirname(file);
  const env = options.env ?? process.env;
  let database: DatabaseTarget =
    "sqlite" in p.database
      ? {
          kind: "sqlite",
          path: isAbsolute(p.database.sqlite) ? p.database.sqlite : resolve(dir, p.database.sqlite),
        }
      : {
          kind: "postgres",
          url: p.database.postgres,
          ...(p.database.schema ? { schema: p.database.schema } : {}),
        };
  const override = options.database ?? env.FERRY_DATABASE_URL;
  if (override) database = parseDatabaseUrl(override, options.cwd ?? process.cwd());
  const workers: Record<string, ResolvedWorker> = {};
  for (const [name, w] of Object.entries(p.workers)) {
    const abs = (path: string) => (isAbsolute(path) ? path : resolve(dir, path));
    const queue =
      w.mode === "pull" && w.queue ? { queue: { ...w.queue, launcherDir: abs(w.queue.launcherDir) } } : {};
    workers[name] = Object.freeze({ ...w, ...queue, name, workDir: abs(w.workDir) });
  }
  const names = Object.keys(workers);
  if (names.length === 0) {
    throw new ValidationError(`invalid project file ${file}`, [
      { file, field: "workers", message: "define at least one worker" },
    ]);
  }
  const defaultWorker = p.defaults.worker ?? names[0]!;
  if (!workers[defaultWorker]) {
    throw new ValidationError(`invalid project file ${file}`, [
      {
        file,
        field: "defaults.worker",
        message: `unknown worker "${defaultWorker}"${didYouMean(defaultWorker, names)}`,
      },
    ]);
  }
  return Object.freeze({ dir, file, database, workers: Object.freeze(workers), defaultWorker });
}

export function loadProject(options: LoadOptions = {}): ResolvedProject {
  const file = findProjectFile(options);
  if (!file || !existsSync(file)) {
    throw new NotFoundError(
      file
        ? `no project file at ${file}`
        : `no ${PROJECT_FILE} in ${options.cwd ?? process.cwd()} or any parent folder: run \`ferry init\`, or pass --project / set FERRY_PROJECT`,
    );
  }
  const raw = parseFlowText(readFileSync(file, "utf8"), file);
  return resolveProject(raw, file, options);
}

export function getWorker(project: ResolvedProject, name: string | undefined): ResolvedWorker {
  const wanted = name ?? project.defaultWorker;
  const w = project.workers[wanted];
  if (!w) {
    throw new NotFoundError(
      `unknown worker "${wanted}"${didYouMean(wanted, Object.keys(project.workers))}; workers in ${project.file}: ${Object.keys(project.workers).join(", ")}`,
    );
  }
  return w;
}
