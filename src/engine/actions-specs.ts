/**
 * Job entries of an action (flow-file job format) → JobSpecs, and the pure graph shaping of a
 * group of new jobs: sub-flow prefixes, roots hung under the acting job, leaves, the output job
 * of a replace. Nothing here reads the database.
 */
import { isAbsolute } from "node:path";
import { flowSpecFromObject } from "../flow/parse.ts";
import {
  formatPath,
  formatReference,
  type PathSegment,
  parsePath,
  parseReferenceText,
} from "../flow/references.ts";
import type { JobEntry } from "../model/action.ts";
import { type Issue, ValidationError } from "../model/errors.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "../model/json.ts";
import type { Job, JobSpec } from "../model/types.ts";

/** What new jobs take from the acting job unless they set it (see model/action.ts). */
export function inheritedDefaults(job: Job): JsonObject {
  return {
    ...(job.worker ? { worker: job.worker } : {}),
    ...(job.category ? { category: job.category } : {}),
    priority: job.priority,
  };
}

function jsPaths(entry: JobEntry): string[] {
  const specs = [entry.js, ...(entry.tasks ?? []).map((t) => t.js)];
  return specs.filter((s): s is string => s !== undefined).map((s) => s.replace(/#[^#]*$/, ""));
}

/**
 * Schema-checked entries → JobSpecs through the flow-file code path (tasks, shorthands, module
 * paths, defaults). Parents and inputs are taken out first and put back after, because that
 * path validates a *complete* flow and would reject parents and references naming jobs that
 * already exist; the caller validates the graph with those jobs known.
 */
export function specsOf(
  entries: readonly JobEntry[],
  o: { baseDir: string | null; defaults: JsonObject },
): { specs: JobSpec[] } | { issues: Issue[] } {
  if (o.baseDir === null) {
    const issues = entries.flatMap((e) =>
      jsPaths(e)
        .filter((p) => !isAbsolute(p))
        .map((p) => ({
          job: e.name,
          field: "js",
          message: `relative module path "${p}" in an action of an sh task: give an absolute path`,
        })),
    );
    if (issues.length > 0) return { issues };
  }
  const stripped = entries.map(({ parents: _p, inputs: _i, ...rest }) => rest);
  try {
    const spec = flowSpecFromObject(
      { name: "action", defaults: o.defaults, jobs: stripped },
      { baseDir: o.baseDir ?? "/" },
    );
    return {
      specs: spec.jobs.map((j, i) => ({
        ...j,
        parents: [...(entries[i]!.parents ?? [])],
        inputs: (entries[i]!.inputs ?? {}) as JsonObject,
      })),
    };
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { issues: [...e.issues] };
  }
}

const EMBEDDED = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/** Rewrite the job names of every reference in `value` (malformed ones are left for validation). */
export function renameReferences(value: JsonValue, rename: (job: string) => string): JsonValue {
  if (typeof value === "string") {
    return value.replace(EMBEDDED, (whole, text: string) => {
      try {
        const r = parseReferenceText(text);
        return `\${{ ${formatReference({ job: rename(r.job), path: r.path })} }}`;
      } catch {
        return whole;
      }
    });
  }
  if (Array.isArray(value)) return value.map((v) => renameReferences(v, rename));
  if (isPlainObject(value)) {
    // a literal is data, and a job of another flow keeps its name
    if ("$literal" in value) return value;
    if (typeof value.$ref === "string")
      return value.flow !== undefined ? value : { ...value, $ref: rename(value.$ref) };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameReferences(v, rename)]));
  }
  return value;
}

/** addFlow: names get "<prefix>-"; parents and references naming the sub-flow's jobs follow. */
export function prefixGroup(specs: readonly JobSpec[], prefix: string, metadata: JsonObject): JobSpec[] {
  const inside = new Set(specs.map((s) => s.name));
  const rename = (n: string) => (inside.has(n) ? `${prefix}-${n}` : n);
  return specs.map((s) => ({
    ...s,
    name: rename(s.name),
    parents: s.parents.map(rename),
    inputs: renameReferences(s.inputs, rename) as JsonObject,
    metadata: { ...metadata, ...s.metadata, subflow: prefix },
  }));
}

/** Jobs with no parent inside the group also depend on `on` (the acting job). */
export function hangRoots(specs: readonly JobSpec[], on: string): JobSpec[] {
  const inside = new Set(specs.map((s) => s.name));
  return specs.map((s) =>
    s.parents.some((p) => inside.has(p)) || s.parents.includes(on)
      ? s
      : { ...s, parents: [on, ...s.parents] },
  );
}

/** Jobs of the group that no other job of the group waits for. */
export function leavesOf(specs: readonly JobSpec[]): string[] {
  const parents = new Set(specs.flatMap((s) => s.parents));
  return specs.filter((s) => !parents.has(s.name)).map((s) => s.name);
}

/** replace.output → the job and path that give the replaced job's output. */
export function replaceOutput(
  output: string | { $ref: string; path?: string | undefined } | undefined,
  specs: readonly JobSpec[],
): { job: string; path: PathSegment[] } {
  const names = specs.map((s) => s.name);
  let target: { job: string; path: PathSegment[] };
  if (output === undefined) {
    const leaves = leavesOf(specs);
    if (leaves.length !== 1) {
      throw new Error(
        `the replacement has ${leaves.length} leaves (${leaves.join(", ")}): say which job gives the output with output: "\${{ name.path }}"`,
      );
    }
    target = { job: leaves[0]!, path: [] };
  } else if (typeof output === "string") {
    const inner = /^\s*\$\{\{\s*(.*?)\s*\}\}\s*$/.exec(output)?.[1] ?? output;
    target = parseReferenceText(inner);
  } else target = { job: output.$ref, path: parsePath(output.path ?? "") };
  if (!names.includes(target.job)) {
    throw new Error(
      `output names "${target.job}", which is not one of the replacement's jobs (${names.join(", ")})`,
    );
  }
  return target;
}

/** The stored output of a replaced job: references to it follow this (engine/resolve.ts). */
export function replacedMarker(target: { job: string; path: PathSegment[] }): JsonObject {
  return target.path.length === 0
    ? { $replacedBy: target.job }
    : { $replacedBy: target.job, path: formatPath(target.path) };
}
