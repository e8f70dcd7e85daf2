/**
 * Output references: how a job's inputs point into its ancestors' outputs.
 *
 *   {"$ref": "prepare", "path": "temperatures[2]"}     the object form (JSON, YAML, builder)
 *   "${{ prepare.temperatures[2] }}"                    the string form: the whole string is the value
 *   "run-${{ prepare.label }}.log"                      embedded: interpolated as text
 *   {"$ref": "relax", "flow": 12, "path": "energy"}     a job of another flow (the job waits for it)
 *   {"$literal": <any JSON>}                            not a reference: replaced by its content,
 *                                                       which is never read for references
 *
 * References are resolved from the parents' stored outputs on the login side, before a job is
 * handed to any executor; compute nodes never resolve references.
 */
import type { JsonValue } from "../model/json.ts";
import { isPlainObject } from "../model/json.ts";

export type PathSegment = string | number;

export interface Reference {
  job: string;
  path: PathSegment[];
  /** The id of another flow the job belongs to (jobflow's external references); absent: this flow. */
  flow?: number;
}

export interface FoundReference extends Reference {
  /** Where in the inputs the reference sits, e.g. "inputs.values[2]". */
  at: string;
}

export const JOB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
const EMBEDDED = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;

/** Parse `a.b[0]["c d"]` into segments; throws with a readable message. */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  const s = text.trim();
  if (s === "") return out;
  const key = /^[A-Za-z_$][\w$-]*/;
  let first = true;
  while (i < s.length) {
    const rest = s.slice(i);
    if (rest.startsWith("[")) {
      const num = /^\[(\d+)\]/.exec(rest);
      const str = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest);
      if (num) {
        out.push(Number(num[1]));
        i += num[0].length;
      } else if (str) {
        out.push(JSON.parse(`"${str[1]}"`) as string);
        i += str[0].length;
      } else throw new Error(`bad index in path "${text}" at "${rest}"`);
    } else {
      const dot = first ? rest : rest.startsWith(".") ? rest.slice(1) : null;
      const m = dot === null ? null : key.exec(dot);
      if (!m) throw new Error(`bad path "${text}" at "${rest}" (use a.b[0] or a["key with spaces"])`);
      out.push(m[0]);
      i += m[0].length + (first ? 0 : 1);
    }
    first = false;
  }
  return out;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((p, i) =>
      typeof p === "number"
        ? `[${p}]`
        : /^[A-Za-z_$][\w$-]*$/.test(p)
          ? i === 0
            ? p
            : `.${p}`
          : `[${JSON.stringify(p)}]`,
    )
    .join("");
}

export function formatReference(r: Reference): string {
  const path = formatPath(r.path);
  const text = path === "" || path.startsWith("[") ? `${r.job}${path}` : `${r.job}.${path}`;
  return r.flow === undefined ? text : `${text} (flow ${r.flow})`;
}

/** `"name.a.b[0]"` → reference. */
export function parseReferenceText(text: string): Reference {
  const m = /^([A-Za-z0-9_][A-Za-z0-9_-]*)(.*)$/.exec(text.trim());
  if (!m) throw new Error(`bad reference "${text}": expected \${{ job.path }}`);
  const rest = m[2]!;
  const path =
    rest === "" ? [] : rest.startsWith(".") ? parsePath(rest.slice(1)) : parsePath(`x${rest}`).slice(1);
  return { job: m[1]!, path };
}

function objectReference(value: Record<string, unknown>): Reference | undefined {
  if (!("$ref" in value)) return undefined;
  const keys = Object.keys(value).filter((k) => k !== "$ref" && k !== "path" && k !== "flow");
  if (keys.length > 0)
    throw new Error(
      `a reference takes only "$ref", "path" and "flow", not ${keys.map((k) => `"${k}"`).join(", ")} (wrap data in {"$literal": ...})`,
    );
  if (typeof value.$ref !== "string" || !JOB_NAME.test(value.$ref))
    throw new Error(`"$ref" must be a job name`);
  if (value.path !== undefined && typeof value.path !== "string")
    throw new Error(`"path" must be a string like "a.b[0]"`);
  const flow = value.flow;
  if (flow !== undefined && !(typeof flow === "number" && Number.isSafeInteger(flow) && flow > 0))
    throw new Error(`"flow" must be a flow id (a positive integer)`);
  return {
    job: value.$ref,
    path: value.path === undefined ? [] : parsePath(value.path),
    ...(flow !== undefined ? { flow: flow as number } : {}),
  };
}

/** `{"$literal": v}` → {value: v}; undefined for anything else. Throws for extra keys. */
export function literalContent(value: Record<string, unknown>): { value: JsonValue } | undefined {
  if (!("$literal" in value)) return undefined;
  const keys = Object.keys(value).filter((k) => k !== "$literal");
  if (keys.length > 0)
    throw new Error(`a literal takes only "$literal", not ${keys.map((k) => `"${k}"`).join(", ")}`);
  return { value: value.$literal as JsonValue };
}

/** Every reference in a JSON value, with where it sits. Throws on malformed references. */
export function findReferences(value: unknown, at = "inputs"): FoundReference[] {
  const out: FoundReference[] = [];
  const walk = (v: unknown, where: string) => {
    // index and key loops, and a string searched only when it may hold a reference: this runs
    // over every input of every job when a flow is added
    if (typeof v === "string") {
      if (v.includes("${{"))
        for (const m of v.matchAll(EMBEDDED)) out.push({ ...parseReferenceText(m[1]!), at: where });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${where}[${i}]`);
    } else if (isPlainObject(v)) {
      if (literalContent(v)) return;
      const ref = objectReference(v);
      if (ref) out.push({ ...ref, at: where });
      else for (const k of Object.keys(v)) walk(v[k], `${where}.${k}`);
    }
  };
  walk(value, at);
  return out;
}

export class MissingOutputError extends Error {
  override name = "MissingOutputError";
}

/** Follow `path` into `value`; throws MissingOutputError naming the first missing step. */
export function getPath(value: JsonValue | null, path: readonly PathSegment[], label: string): JsonValue {
  let cur: JsonValue | null = value;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (typeof seg === "number" && Array.isArray(cur) && seg < cur.length) cur = cur[seg]!;
    else if (typeof seg === "string" && isPlainObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg]!;
    else {
      const where = formatPath(path.slice(0, i + 1));
      throw new MissingOutputError(`${label}: the output has no ${where} (output was ${preview(value)})`);
    }
  }
  if (cur === null && value === null) throw new MissingOutputError(`${label}: the job produced no output`);
  return cur as JsonValue;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? "nothing";
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/**
 * Replace every reference in `value` with the referenced output (`lookup(job, flow)` = that
 * job's output) and every literal with its content. With `missing: "null"`, a path the output
 * does not have gives null instead of an error (jobflow's OnMissing.NONE).
 */
export function resolveReferences(
  value: JsonValue,
  lookup: (job: string, flow?: number) => JsonValue | null,
  options: { missing?: "fail" | "null" } = {},
): JsonValue {
  const resolveOne = (r: Reference): JsonValue => {
    const label = `reference to ${formatReference(r)}`;
    if (options.missing !== "null") return getPath(lookup(r.job, r.flow), r.path, label);
    try {
      return getPath(lookup(r.job, r.flow), r.path, label);
    } catch (e) {
      if (e instanceof MissingOutputError) return null;
      throw e;
    }
  };
  const walk = (v: JsonValue): JsonValue => {
    if (typeof v === "string") {
      const whole = WHOLE.exec(v);
      if (whole) return resolveOne(parseReferenceText(whole[1]!));
      if (!v.includes("${{")) return v;
      return v.replace(EMBEDDED, (_, text: string) => {
        const got = resolveOne(parseReferenceText(text));
        return typeof got === "string" ? got : JSON.stringify(got);
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) {
      const literal = literalContent(v);
      if (literal) return literal.value;
      const ref = objectReference(v);
      if (ref) return resolveOne(ref);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x as JsonValue)]));
    }
    return v;
  };
  return walk(value);
}

/** A reference object for the builder API (`flow`: a job of another flow, by the flow's id). */
export function ref(job: string, path = "", flow?: number): { $ref: string; path?: string; flow?: number } {
  return { $ref: job, ...(path === "" ? {} : { path }), ...(flow === undefined ? {} : { flow }) };
}

/** A value passed as is: nothing inside it is read as a reference (strings with `${{`, `$ref` keys). */
export function literal(value: JsonValue): { $literal: JsonValue } {
  return { $literal: value };
}
