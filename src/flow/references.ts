/**
 * Output references: how a job's inputs point into its ancestors' outputs.
 *
 *   {"$ref": "prepare", "path": "temperatures[2]"}     the object form (JSON, YAML, builder)
 *   "${{ prepare.temperatures[2] }}"                    the string form: the whole string is the value
 *   "run-${{ prepare.label }}.log"                      embedded: interpolated as text
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
  return path === "" || path.startsWith("[") ? `${r.job}${path}` : `${r.job}.${path}`;
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
  const keys = Object.keys(value).filter((k) => k !== "$ref" && k !== "path");
  if (keys.length > 0)
    throw new Error(`a reference takes only "$ref" and "path", not ${keys.map((k) => `"${k}"`).join(", ")}`);
  if (typeof value.$ref !== "string" || !JOB_NAME.test(value.$ref))
    throw new Error(`"$ref" must be a job name`);
  if (value.path !== undefined && typeof value.path !== "string")
    throw new Error(`"path" must be a string like "a.b[0]"`);
  return { job: value.$ref, path: value.path === undefined ? [] : parsePath(value.path) };
}

/** Every reference in a JSON value, with where it sits. Throws on malformed references. */
export function findReferences(value: unknown, at = "inputs"): FoundReference[] {
  const out: FoundReference[] = [];
  const walk = (v: unknown, where: string) => {
    if (typeof v === "string") {
      for (const m of v.matchAll(EMBEDDED)) out.push({ ...parseReferenceText(m[1]!), at: where });
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${where}[${i}]`);
    } else if (isPlainObject(v)) {
      const ref = objectReference(v);
      if (ref) out.push({ ...ref, at: where });
      else for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
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

/** Replace every reference in `value` with the referenced output (`lookup(job)` = that job's output). */
export function resolveReferences(value: JsonValue, lookup: (job: string) => JsonValue | null): JsonValue {
  const resolveOne = (r: Reference) => getPath(lookup(r.job), r.path, `reference to ${formatReference(r)}`);
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
      const ref = objectReference(v);
      if (ref) return resolveOne(ref);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x as JsonValue)]));
    }
    return v;
  };
  return walk(value);
}

/** A reference object for the builder API. */
export function ref(job: string, path = ""): { $ref: string; path?: string } {
  return path === "" ? { $ref: job } : { $ref: job, path };
}
