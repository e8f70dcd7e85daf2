/**
 * `ferry update` and `ferry rerun --set`: edit a job's inputs, resources or priority with
 * `--set path=value` (value read as JSON when it parses, else as text):
 *   inputs.temperature=300   inputs.params.kpoints=[4,4,4]   resources.walltime=4:00:00
 * Edited resources are checked by the resources schema; edited inputs may hold references,
 * checked against the job's ancestors.
 */
import { findReferences } from "../flow/references.ts";
import { type Issue, UsageError, ValidationError } from "../model/errors.ts";
import { cloneJson, isPlainObject, type JsonObject, type JsonValue, parseJson } from "../model/json.ts";
import { RESOURCE_KEYS, type Resources, resourcesSchema } from "../model/resources.ts";
import { didYouMean } from "../model/suggest.ts";
import type { Job } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";

export type JobEdits = Record<string, JsonValue | undefined>;

/** "a.b=3" pairs → edits (own keys only: a path such as `__proto__` is a key like any other). */
export function parseSets(pairs: readonly string[]): JobEdits {
  const entries: [string, JsonValue][] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set needs path=value, got "${pair}"`);
    const path = pair.slice(0, eq).trim();
    const text = pair.slice(eq + 1);
    let value: JsonValue;
    try {
      value = parseJson(text);
    } catch {
      value = text;
    }
    entries.push([path, value]);
  }
  return Object.fromEntries(entries);
}

/** Set a value at a path, creating objects on the way; never reaches a prototype. */
function setPath(target: JsonObject, path: readonly string[], value: JsonValue | undefined): void {
  let cur: JsonObject = target;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(cur, key) ? cur[key] : undefined;
    if (!isPlainObject(next))
      Object.defineProperty(cur, key, { value: {}, enumerable: true, writable: true, configurable: true });
    cur = cur[key] as JsonObject;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete cur[last];
  else Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
}

/** One edited field of one job, for previews: `inputs.temperature: 300 → 350`. */
export interface EditLine {
  jobId: number;
  name: string;
  field: string;
  /** The value before (undefined: not set). */
  from: JsonValue | undefined;
  /** The value after (undefined: removed). */
  to: JsonValue | undefined;
}

function valueAt(value: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let cur = value;
  for (const key of path) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as JsonObject)[key];
  }
  return cur;
}

/** What `edits` change on `job`, field by field (edits that change nothing are left out). */
export function describeEdits(job: Job, edits: JobEdits): EditLine[] {
  const lines: EditLine[] = [];
  const current: JsonObject = {
    inputs: job.inputs,
    resources: job.resources as JsonObject,
    priority: job.priority,
  };
  for (const [field, to] of Object.entries(edits)) {
    const from = valueAt(current, field.split("."));
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    lines.push({ jobId: job.id, name: job.name, field, from, to });
  }
  return lines;
}

export interface EditedFields {
  inputs?: JsonObject;
  resources?: Resources;
  priority?: number;
}

/** The job's fields after the edits (validated). */
export function applyEdits(job: Job, edits: JobEdits): EditedFields {
  const out: EditedFields = {};
  const issues: Issue[] = [];
  for (const [path, value] of Object.entries(edits)) {
    const [root, ...rest] = path.split(".");
    if (root === "priority" && rest.length === 0) {
      if (typeof value !== "number")
        issues.push({ job: job.name, field: path, message: "priority must be a number" });
      else out.priority = value;
    } else if (root === "inputs" && rest.length > 0) {
      out.inputs ??= cloneJson(job.inputs);
      setPath(out.inputs, rest, value);
    } else if (root === "resources" && rest.length === 1) {
      out.resources ??= { ...job.resources };
      const key = rest[0]!;
      if (!RESOURCE_KEYS.includes(key))
        issues.push({
          job: job.name,
          field: path,
          message: `unknown resource "${key}"${didYouMean(key, RESOURCE_KEYS)}`,
        });
      (out.resources as Record<string, unknown>)[key] = value;
    } else {
      issues.push({
        job: job.name,
        field: path,
        message: "only inputs.<path>, resources.<key> and priority can be set",
      });
    }
  }
  if (out.resources) {
    const r = resourcesSchema.safeParse(out.resources);
    if (!r.success)
      for (const i of r.error.issues)
        issues.push({ job: job.name, field: `resources.${i.path.join(".")}`, message: i.message });
  }
  if (out.inputs) {
    try {
      findReferences(out.inputs);
    } catch (e) {
      issues.push({ job: job.name, field: "inputs", message: (e as Error).message });
    }
  }
  if (issues.length > 0) throw new ValidationError(`cannot update job ${job.id} "${job.name}"`, issues);
  return out;
}

/** Edited inputs may hold references, but only to the job's ancestors. */
export async function checkReferences(ops: StoreOps, j: Job, inputs: Job["inputs"]): Promise<void> {
  const refs = findReferences(inputs);
  if (refs.length === 0) return;
  // ancestors in other flows (cross-flow references) are named "<flow>/<job>"
  const key = (flow: number, name: string) => (flow === j.flowId ? name : `${flow}/${name}`);
  const ancestors = new Set(
    (await ops.getJobs(await ops.ancestorsOf([j.id]))).map((a) => key(a.flowId, a.name)),
  );
  const bad: Issue[] = refs
    .filter((r) => !ancestors.has(key(r.flow ?? j.flowId, r.job)))
    .map((r) => ({
      job: j.name,
      field: r.at,
      message: `reference to "${r.job}", which is not an ancestor of "${j.name}"`,
    }));
  if (bad.length > 0) throw new ValidationError(`cannot update job ${j.id} "${j.name}"`, bad);
}
