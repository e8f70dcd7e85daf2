/**
 * Read a flow file (YAML or JSON) into a validated FlowSpec. Schema problems and graph problems
 * come back together as one ValidationError whose issues name the file, the job and the field.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type Issue, ValidationError } from "../model/errors.ts";
import { isPlainObject, type JsonObject, parseJson } from "../model/json.ts";
import { RESOURCE_KEYS } from "../model/resources.ts";
import { didYouMean } from "../model/suggest.ts";
import type { FlowSpec, JobSpec, PyTask, Task } from "../model/types.ts";
import { checkJson, type JsonProblem, MAX_JSON_DEPTH } from "./json-check.ts";
import { documentProblems } from "./limits.ts";
import { JOB_NAME } from "./references.ts";
import {
  checkedJobSchema,
  type FlowDefaults,
  type FlowFile,
  flowHeadSchema,
  type JobFileEntry,
  jobSchema,
  plainFlowHead,
  plainJobNumbers,
  TASK_KINDS,
  type TaskFileEntry,
} from "./schema.ts";
import { validateFlowSpec } from "./validate.ts";
import { keepYamlFloats } from "./yaml-floats.ts";

const JOB_KEYS = [
  "name",
  "tasks",
  "sh",
  "js",
  "py",
  "parents",
  "inputs",
  "resources",
  "worker",
  "category",
  "priority",
  "metadata",
  "allowFailedParents",
  "label",
  "env",
  "preRun",
  "onMissingReference",
];
const FLOW_KEYS = ["name", "metadata", "defaults", "jobs"];
const TASK_KEYS = ["sh", "js", "py", "name", "env"];

function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const last = path.at(-1);
  if (path.length === 0) return FLOW_KEYS;
  if (path.length === 2 && path[0] === "jobs") return JOB_KEYS;
  if (last === "resources") return RESOURCE_KEYS;
  if (typeof last === "number" && path.at(-2) === "tasks") return TASK_KEYS;
  return [];
}

/** A path in the document → the job it is in (by name) and the path inside that job. */
function locate(
  fullPath: readonly PropertyKey[],
  raw: unknown,
): { job: string | undefined; path: readonly PropertyKey[] } {
  const jobs = (raw as { jobs?: unknown[] } | null)?.jobs;
  if (fullPath[0] === "jobs" && typeof fullPath[1] === "number") {
    const entry = Array.isArray(jobs) ? (jobs[fullPath[1]] as { name?: unknown } | undefined) : undefined;
    // a name that is not a valid job name is shown by position (it may hold anything, even escapes)
    const named = typeof entry?.name === "string" && JOB_NAME.test(entry.name) && entry.name.length <= 200;
    return { job: named ? (entry.name as string) : `#${fullPath[1] + 1}`, path: fullPath.slice(2) };
  }
  return { job: undefined, path: fullPath };
}

/** zod issues → our issues, located by job name when the path goes through `jobs[i]`. */
export function issuesFromZod(
  error: { readonly issues: readonly z.core.$ZodIssue[] },
  raw: unknown,
  file?: string,
): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    const { job, path } = locate(issue.path, raw);
    if (issue.code === "unrecognized_keys") {
      const fullPath = job === undefined ? issue.path : ["jobs", 0, ...path];
      const known = knownKeysAt(fullPath);
      const inTask = typeof path.at(-1) === "number" && path.at(-2) === "tasks";
      for (const key of issue.keys) {
        const message = inTask
          ? `unknown task kind or key "${key}" (task kinds: ${TASK_KINDS.join(", ")}; other keys: name, env)`
          : `unknown key "${key}"${didYouMean(key, known)}`;
        out.push({ file, job, field: fieldPath([...path, key]), message });
      }
    } else {
      out.push({ file, job, field: path.length ? fieldPath(path) : undefined, message: issue.message });
    }
  }
  return out;
}

function toTask(entry: TaskFileEntry, baseDir: string): Task {
  if (entry.sh !== undefined) {
    return {
      kind: "sh",
      command: entry.sh,
      ...(entry.name ? { name: entry.name } : {}),
      ...(entry.env ? { env: entry.env } : {}),
    };
  }
  if (entry.py !== undefined) return toPyTask(entry, baseDir);
  const spec = entry.js!;
  const hash = spec.lastIndexOf("#");
  const modulePath = hash === -1 ? spec : spec.slice(0, hash);
  const exportName = hash === -1 ? "default" : spec.slice(hash + 1);
  return {
    kind: "js",
    module: isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath),
    export: exportName,
    ...(entry.name ? { name: entry.name } : {}),
  };
}

function toPyTask(entry: TaskFileEntry, baseDir: string): PyTask {
  const spec = entry.py!;
  const colon = spec.lastIndexOf(":");
  const target = spec.slice(0, colon);
  const where = target.endsWith(".py")
    ? { file: isAbsolute(target) ? target : resolve(baseDir, target) }
    : { module: target };
  return {
    kind: "py",
    ...where,
    function: spec.slice(colon + 1),
    ...(entry.name ? { name: entry.name } : {}),
    ...(entry.env ? { env: entry.env } : {}),
  };
}

/**
 * The value of every empty inputs, metadata, env and resources: one frozen object instead of
 * four per job (a tenth of what a 10,000-job flow's specs hold). Frozen, so that code writing
 * into a spec's field fails loudly instead of writing into every job's.
 */
const EMPTY = Object.freeze({}) as Record<string, never>;

/** No parents: shared and frozen, as EMPTY. */
const NO_PARENTS: readonly string[] = Object.freeze([]);

/**
 * The task list of a job written with the `sh:` shorthand, one frozen list per command: flows
 * of thousands of jobs mostly repeat a few commands.
 */
type ShTasks = Map<string, readonly Task[]>;

function toJobSpec(entry: JobFileEntry, d: FlowDefaults, baseDir: string, shTasks: ShTasks): JobSpec {
  let tasks: readonly Task[];
  if (entry.tasks === undefined && entry.sh !== undefined) {
    const shared = shTasks.get(entry.sh);
    tasks = shared ?? Object.freeze([Object.freeze(toTask({ sh: entry.sh }, baseDir))]);
    if (!shared) shTasks.set(entry.sh, tasks);
  } else {
    const list: TaskFileEntry[] = entry.tasks ?? [
      entry.js !== undefined ? { js: entry.js } : { py: entry.py! },
    ];
    tasks = list.map((t) => toTask(t, baseDir));
  }
  return {
    name: entry.name,
    tasks: tasks as Task[],
    parents: (entry.parents ?? NO_PARENTS) as string[],
    inputs: (entry.inputs ?? EMPTY) as JsonObject,
    resources:
      d.resources || entry.resources ? { ...(d.resources ?? {}), ...(entry.resources ?? {}) } : EMPTY,
    worker: entry.worker ?? d.worker ?? null,
    category: entry.category ?? d.category ?? null,
    priority: entry.priority ?? d.priority ?? 0,
    metadata: (entry.metadata ?? EMPTY) as JsonObject,
    allowFailedParents: entry.allowFailedParents ?? false,
    label: entry.label ?? null,
    env: entry.env ?? EMPTY,
    preRun: entry.preRun ?? null,
    onMissingReference: entry.onMissingReference ?? "fail",
  };
}

/** Problems of the raw document and of its JSON values, as issues (flow/limits.ts). */
function limitIssues(problems: readonly JsonProblem[], raw: unknown, file?: string): Issue[] {
  return problems.map((p) => {
    const { job, path } = locate(p.path, raw);
    return { file, job, field: path.length ? fieldPath(path) : undefined, message: p.message };
  });
}

/**
 * JSON values a job stores: inputs and metadata nest at most MAX_JSON_DEPTH levels. The whole
 * document passed documentProblems (the same checks, 4 levels deeper), so only a value that
 * nests that deep can have a problem here: the others are not walked again.
 */
function valueProblems(job: JobFileEntry, i: number, out: JsonProblem[]): void {
  const check = (value: unknown, at: (string | number)[]) => {
    if (!nestsDeeper(value, 0)) return;
    for (const p of checkJson(value)) out.push({ ...p, path: [...at, ...p.path] });
  };
  if (job.inputs !== undefined) check(job.inputs, ["jobs", i, "inputs"]);
  if (job.metadata !== undefined) check(job.metadata, ["jobs", i, "metadata"]);
}

/** Whether `value` (at `depth`) holds an array or object MAX_JSON_DEPTH or more levels down. */
function nestsDeeper(value: unknown, depth: number): boolean {
  const array = Array.isArray(value);
  if (!array && !isPlainObject(value)) return false;
  if (depth >= MAX_JSON_DEPTH) return true;
  if (array) return value.some((v) => nestsDeeper(v, depth + 1));
  for (const k in value) if (nestsDeeper(value[k], depth + 1)) return true;
  return false;
}

/**
 * Validate an already-parsed flow object (from a file, an action, or the builder).
 *
 * The jobs go through the schema one at a time, each turned into its JobSpec at once: zod's
 * parsed copy of a job (and everything its parse allocates) is then garbage while still young.
 * Parsing the whole flow in one call kept every job's copy alive until the last job was parsed,
 * and a 10,000-job add peaked at 160–190 MB (issue #13's goal is under 150).
 */
export function flowSpecFromObject(raw: unknown, options: { source?: string; baseDir: string }): FlowSpec {
  const summary = `invalid flow${options.source ? ` in ${options.source}` : ""}`;
  const early = documentProblems(raw);
  if (early.length > 0) throw new ValidationError(summary, limitIssues(early, raw, options.source));
  const head = flowHeadSchema.safeParse(plainFlowHead(raw));
  const entries = head.success
    ? head.data.jobs
    : Array.isArray((raw as FlowFile | null)?.jobs)
      ? (raw as FlowFile).jobs
      : [];
  // in the order one parse of the whole flow reports them: the flow's fields before "jobs",
  // then the jobs, then the flow's unknown keys
  const flowKeys = (i: z.core.$ZodIssue) => i.code === "unrecognized_keys" && i.path.length === 0;
  const before = head.success ? [] : head.error.issues.filter((i) => !flowKeys(i));
  const after = head.success ? [] : head.error.issues.filter(flowKeys);
  const jobIssues: z.core.$ZodIssue[] = [];
  const deep: JsonProblem[] = [];
  const jobs: JobSpec[] = [];
  const shTasks: ShTasks = new Map();
  const defaults = head.success ? (head.data.defaults ?? {}) : {};
  if (head.success && head.data.metadata !== undefined)
    for (const p of checkJson(head.data.metadata)) deep.push({ ...p, path: ["metadata", ...p.path] });
  for (let i = 0; i < entries.length; i++) {
    const entry = plainJobNumbers(entries[i]);
    const fast = checkedJobSchema.safeParse(entry);
    const parsed = fast.success ? fast : jobSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) jobIssues.push({ ...issue, path: ["jobs", i, ...issue.path] });
      continue;
    }
    if (!head.success || jobIssues.length > 0) continue;
    valueProblems(parsed.data, i, deep);
    jobs.push(toJobSpec(parsed.data, defaults, options.baseDir, shTasks));
  }
  const issues = [...before, ...jobIssues, ...after];
  if (issues.length > 0) throw new ValidationError(summary, issuesFromZod({ issues }, raw, options.source));
  if (deep.length > 0) throw new ValidationError(summary, limitIssues(deep, raw, options.source));
  const data = head.data!;
  const spec: FlowSpec = {
    name: data.name,
    metadata: (data.metadata ?? {}) as JsonObject,
    jobs,
    ...(options.source ? { source: options.source } : {}),
  };
  const graph = validateFlowSpec(spec);
  if (graph.length > 0) throw new ValidationError(summary, graph);
  return spec;
}

export function parseFlowText(text: string, source: string): unknown {
  if (/\.json$/i.test(source)) {
    try {
      return parseJson(text);
    } catch (e) {
      throw new ValidationError(`cannot read ${source}`, [
        { file: source, message: `not valid JSON: ${(e as Error).message}` },
      ]);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, customTags: keepYamlFloats });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      `cannot read ${source}`,
      doc.errors.map((e) => ({ file: source, message: `YAML: ${e.message.split("\n")[0]}` })),
    );
  }
  try {
    // an alias bomb (a billion laughs) is refused by the yaml package past maxAliasCount, with a
    // throw from toJS that used to escape as exit 1 (issue #8)
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ValidationError(`cannot read ${source}`, [
      { file: source, message: `YAML: ${(e as Error).message.split("\n")[0]}` },
    ]);
  }
}

/** Read and validate a flow file. Throws ValidationError (nothing is written anywhere). */
export function loadFlowFile(path: string): FlowSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ValidationError(`cannot read ${path}`, [{ file: path, message: (e as Error).message }]);
  }
  return flowSpecFromObject(parseFlowText(text, path), { source: path, baseDir: dirname(resolve(path)) });
}
