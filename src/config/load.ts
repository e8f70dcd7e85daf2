/**
 * Find, read and resolve ferry.yaml once; the frozen result is passed explicitly to everything
 * that needs it. Library code never reads the environment: the CLI turns FERRY_PROJECT and
 * FERRY_DATABASE_URL into the `project` and `database` options (defaults < file < environment <
 * flags), so a program or a test that uses the API is never redirected by a variable someone
 * exported in the shell.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { issuesFromZod, parseFlowText } from "../flow/parse.ts";
import { type Issue, NotFoundError, ValidationError } from "../model/errors.ts";
import { didYouMean } from "../model/suggest.ts";
import type { DatabaseTarget } from "../model/types.ts";
import { projectSchema, type RunnerConfig, type WorkerConfig } from "./schema.ts";

export const PROJECT_FILE = "ferry.yaml";

export type ResolvedWorker = WorkerConfig & { name: string; workDir: string };

export interface ResolvedProject {
  /** The project folder (where ferry.yaml is). */
  dir: string;
  file: string;
  database: DatabaseTarget;
  workers: Readonly<Record<string, ResolvedWorker>>;
  defaultWorker: string;
  runner: Readonly<RunnerConfig>;
}

export interface LoadOptions {
  /** A ferry.yaml or the folder holding one (relative to `cwd`). */
  project?: string;
  /** Overrides the file's database: postgres://… or a SQLite path (relative to `cwd`). */
  database?: string;
  /** Default: the current folder. */
  cwd?: string;
}

/** `project` (a ferry.yaml or its folder), else ferry.yaml in `cwd` or any parent. */
export function findProjectFile(options: LoadOptions = {}): string | null {
  const cwd = options.cwd ?? process.cwd();
  const given = options.project;
  if (given !== undefined) {
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
  if (options.database !== undefined)
    database = parseDatabaseUrl(options.database, options.cwd ?? process.cwd());
  // no prototype: a worker name typed by a user (`--worker constructor`) is only ever an own key
  const workers: Record<string, ResolvedWorker> = Object.create(null);
  const unrunnable: Issue[] = [];
  for (const [name, w] of Object.entries(p.workers)) {
    const abs = (path: string) => (isAbsolute(path) ? path : resolve(dir, path));
    // a remote worker's workDir is a path on the cluster: nothing here can resolve it
    if (w.mode === "managed" && w.host !== undefined && !w.workDir.startsWith("/")) {
      unrunnable.push({
        file,
        field: `workers.${name}.workDir`,
        message: `"${w.workDir}" is relative: with host set, workDir is a folder on ${w.host} and must be absolute (e.g. /scratch/$USER/ferry)`,
      });
    }
    const queue =
      w.mode === "pull" && w.queue ? { queue: { ...w.queue, launcherDir: abs(w.queue.launcherDir) } } : {};
    const workDir = w.mode === "managed" && w.host !== undefined ? w.workDir : abs(w.workDir);
    workers[name] = Object.freeze({ ...w, ...queue, name, workDir });
  }
  if (unrunnable.length > 0) throw new ValidationError(`invalid project file ${file}`, unrunnable);
  const names = Object.keys(workers);
  if (names.length === 0) {
    throw new ValidationError(`invalid project file ${file}`, [
      { file, field: "workers", message: "define at least one worker" },
    ]);
  }
  const defaultWorker = p.defaults.worker ?? names[0]!;
  if (!Object.hasOwn(workers, defaultWorker)) {
    throw new ValidationError(`invalid project file ${file}`, [
      {
        file,
        field: "defaults.worker",
        message: `unknown worker "${defaultWorker}"${didYouMean(defaultWorker, names)}`,
      },
    ]);
  }
  return Object.freeze({
    dir,
    file,
    database,
    workers: Object.freeze(workers),
    defaultWorker,
    runner: Object.freeze({ ...p.runner }),
  });
}

export function loadProject(options: LoadOptions = {}): ResolvedProject {
  const file = findProjectFile(options);
  if (!file || !existsSync(file)) {
    throw new NotFoundError(
      file
        ? `no project file at ${file}`
        : `no ${PROJECT_FILE} in ${options.cwd ?? process.cwd()} or any parent folder: run \`ferry init\`, or name the project (--project, FERRY_PROJECT)`,
    );
  }
  const raw = parseFlowText(readFileSync(file, "utf8"), file);
  return resolveProject(raw, file, options);
}

export function getWorker(project: ResolvedProject, name: string | undefined): ResolvedWorker {
  const wanted = name ?? project.defaultWorker;
  const w = Object.hasOwn(project.workers, wanted) ? project.workers[wanted] : undefined;
  if (!w) {
    throw new NotFoundError(
      `unknown worker "${wanted}"${didYouMean(wanted, Object.keys(project.workers))}; workers in ${project.file}: ${Object.keys(project.workers).join(", ")}`,
    );
  }
  return w;
}
