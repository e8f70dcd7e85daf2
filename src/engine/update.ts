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

export type JobEdits = Record<string, JsonValue | undefined>;

/** "a.b=3" pairs → edits. */
export function parseSets(pairs: readonly string[]): JobEdits {
  const edits: JobEdits = {};
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
    edits[path] = value;
  }
  return edits;
}

function setPath(target: JsonObject, path: readonly string[], value: JsonValue | undefined): void {
  let cur: JsonObject = target;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!isPlainObject(next)) cur[key] = {};
    cur = cur[key] as JsonObject;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
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
