/**
 * Read a flow file (YAML or JSON) into a validated FlowSpec. Schema problems and graph problems
 * come back together as one ValidationError whose issues name the file, the job and the field.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type Issue, ValidationError } from "../model/errors.ts";
import { type JsonObject, parseJson } from "../model/json.ts";
import { RESOURCE_KEYS } from "../model/resources.ts";
import { didYouMean } from "../model/suggest.ts";
import type { FlowSpec, JobSpec, PyTask, Task } from "../model/types.ts";
import {
  type FlowFile,
  flowFileSchema,
  type JobFileEntry,
  plainFlowNumbers,
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

/** zod issues → our issues, located by job name when the path goes through `jobs[i]`. */
export function issuesFromZod(error: z.ZodError, raw: unknown, file?: string): Issue[] {
  const jobs = (raw as { jobs?: unknown[] } | null)?.jobs;
  const out: Issue[] = [];
  for (const issue of error.issues) {
    let path = issue.path;
    let job: string | undefined;
    if (path[0] === "jobs" && typeof path[1] === "number") {
      const entry = Array.isArray(jobs) ? (jobs[path[1]] as { name?: unknown } | undefined) : undefined;
      job = typeof entry?.name === "string" ? entry.name : `#${path[1] + 1}`;
      path = path.slice(2);
    }
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

function toJobSpec(entry: JobFileEntry, file: FlowFile, baseDir: string): JobSpec {
  const d = file.defaults ?? {};
  const tasks: TaskFileEntry[] = entry.tasks ?? [
    entry.sh !== undefined ? { sh: entry.sh } : entry.js !== undefined ? { js: entry.js } : { py: entry.py! },
  ];
  return {
    name: entry.name,
    tasks: tasks.map((t) => toTask(t, baseDir)),
    parents: entry.parents ?? [],
    inputs: (entry.inputs ?? {}) as JsonObject,
    resources: { ...(d.resources ?? {}), ...(entry.resources ?? {}) },
    worker: entry.worker ?? d.worker ?? null,
    category: entry.category ?? d.category ?? null,
    priority: entry.priority ?? d.priority ?? 0,
    metadata: (entry.metadata ?? {}) as JsonObject,
    allowFailedParents: entry.allowFailedParents ?? false,
    label: entry.label ?? null,
    env: entry.env ?? {},
    preRun: entry.preRun ?? null,
    onMissingReference: entry.onMissingReference ?? "fail",
  };
}

/** Validate an already-parsed flow object (from a file, an action, or the builder). */
export function flowSpecFromObject(raw: unknown, options: { source?: string; baseDir: string }): FlowSpec {
  const parsed = flowFileSchema.safeParse(plainFlowNumbers(raw));
  if (!parsed.success) {
    throw new ValidationError(
      `invalid flow${options.source ? ` in ${options.source}` : ""}`,
      issuesFromZod(parsed.error, raw, options.source),
    );
  }
  const spec: FlowSpec = {
    name: parsed.data.name,
    metadata: (parsed.data.metadata ?? {}) as JsonObject,
    jobs: parsed.data.jobs.map((j) => toJobSpec(j, parsed.data, options.baseDir)),
    ...(options.source ? { source: options.source } : {}),
  };
  const issues = validateFlowSpec(spec);
  if (issues.length > 0)
    throw new ValidationError(`invalid flow${options.source ? ` in ${options.source}` : ""}`, issues);
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
  return doc.toJS();
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
