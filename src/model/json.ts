/**
 * JSON values as stored in the database and exchanged through bundle files, and the one
 * parse/stringify pair every stored or bundle value goes through.
 *
 * Numbers keep their JSON spelling where JavaScript would change its meaning. `JSON.parse`
 * turns `1.0` into 1 and `JSON.stringify` writes it back as `1`, so a Python float array
 * `[1.5, 0.0]` would come back as `[1.5, 0]` and turn into ints downstream (found running
 * jobflow flows through ferry). `parseJson` keeps such a number as a RawNumber —
 * `JSON.rawJSON(source)` (Node 21+, the TC39 "JSON.parse source text access" proposal) — which
 * `JSON.stringify` writes back byte for byte. Kept: integral numbers spelled as floats (`1.0`,
 * `2e3`) and integers beyond 2^53 (`2**64` from Python), whose digits a double would change.
 *
 * A RawNumber is a frozen object to JavaScript, so every walker of JSON values must treat it as
 * a number, never as an object: isPlainObject says no, jsonEqual compares it by value,
 * cloneJson shares it, jsonNumber reads it. `structuredClone` and `{...spread}` would turn it
 * into a plain {"rawJSON": "1.0"} object: use cloneJson.
 */
import { z } from "zod";

/** A JSON number kept as its source text (see above). Create with parseJson or floatJson. */
export interface RawNumber {
  readonly rawJSON: string;
}

export type JsonPrimitive = string | number | boolean | null | RawNumber;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const RawJson = JSON as unknown as {
  rawJSON(text: string): RawNumber;
  isRawJSON(value: unknown): value is RawNumber;
};

export function isRawNumber(value: unknown): value is RawNumber {
  return RawJson.isRawJSON(value);
}

/** The value of a JSON number (plain or raw), or null for anything else. */
export function jsonNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  return isRawNumber(value) ? Number(value.rawJSON) : null;
}

/** Whether a JSON number is spelled as a float (`1.0`, `2e3`): Python reads it as a float. */
export function isFloatSpelled(value: unknown): boolean {
  return isRawNumber(value) && /[.eE]/.test(value.rawJSON);
}

/** `n` as a JSON number that reads back as a float (1 → 1.0), for arithmetic on float inputs. */
export function floatJson(n: number): number | RawNumber {
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return n; // JS already writes "1.5", "1e+21"
  return RawJson.rawJSON(`${Object.is(n, -0) ? "-0" : String(n)}.0`);
}

/** Whether JavaScript would change this number's meaning: an integral float, or digits past 2^53. */
function mustKeep(token: string): boolean {
  const n = Number(token);
  if (!Number.isInteger(n)) return false; // fractions, and 1e400 (Infinity), read back as written
  return /[.eE]/.test(token) || !Number.isSafeInteger(n);
}

// Text that may hold a number to keep: a fraction of zeros (1.0), an exponent (2e3), or 16 or
// more digits (past 2^53, or a fraction only a 16th significant digit makes integral: a decimal
// of 15 significant digits round-trips through a double, so it is integral only if written so).
// Strings can match too; then the exact path runs.
const MAY_KEEP = /\.0+(?![0-9])|[0-9][eE]|[0-9]{16}|[0-9.]{17}/;

// Kept numbers are immutable: one RawNumber per spelling ("0.0", "1.0" repeat a lot). Creating
// one costs ~0.3 µs; the cache makes a float-heavy 2.4 MB text parse 3× faster (bench/json-floats.ts).
const rawCache = new Map<string, RawNumber>();
function rawNumber(token: string): RawNumber {
  let r = rawCache.get(token);
  if (r === undefined) {
    r = RawJson.rawJSON(token);
    if (rawCache.size < 10_000) rawCache.set(token, r);
  }
  return r;
}

function keep(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === "number" && context?.source !== undefined && mustKeep(context.source)
    ? rawNumber(context.source)
    : value;
}

/** JSON.parse that keeps number spellings JavaScript would change. Throws SyntaxError like JSON.parse. */
export function parseJson(text: string): JsonValue {
  return (MAY_KEEP.test(text) ? JSON.parse(text, keep) : JSON.parse(text)) as JsonValue;
}

/** JSON text of a value (RawNumbers written as their source). */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space);
}

/**
 * JSON text for a database column. PostgreSQL's jsonb writes `1e+16` back as
 * `10000000000000000` (numeric has no exponent form; measured on PostgreSQL 16) — an integer to
 * Python — so integral numbers spelled with an exponent are written out as decimals with `.0`.
 * Exact: a double that large is a whole number, and BigInt gives its digits.
 */
export function storedJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  if (!/[0-9][eE]/.test(text)) return text;
  return JSON.stringify(value, (_key, v: unknown) => {
    const spelled = isRawNumber(v) ? v.rawJSON : typeof v === "number" ? String(v) : null;
    if (spelled === null || !/[eE]/.test(spelled)) return v;
    const n = Number(spelled);
    return Number.isInteger(n) ? RawJson.rawJSON(`${BigInt(n)}.0`) : v;
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isRawNumber(value);
}

/**
 * Deep equality for JSON values (key order does not matter, unlike FireWorks' DupeFinderExact).
 * Numbers compare by value, as in Python: 1.0 equals 1.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = jsonNumber(a);
  if (na !== null) return na === jsonNumber(b);
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON value (RawNumbers are immutable and shared). */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v as JsonValue);
    return out as T;
  }
  return value;
}

/** The same value with every RawNumber turned into a plain number (for typed fields: priority, resources). */
export function plainNumbers(value: unknown): unknown {
  if (isRawNumber(value)) return Number(value.rawJSON);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  return value;
}

/** A JSON number: a finite number or a RawNumber. */
export const jsonNumberSchema = z
  .custom<number | RawNumber>((v) => (typeof v === "number" && Number.isFinite(v)) || isRawNumber(v), {
    error: "expected a number",
  })
  .meta({ type: "number" });

/** Any JSON value, RawNumbers included (zod's z.json() rejects them and copies objects). */
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    jsonNumberSchema,
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);

export const jsonObjectSchema = z.record(z.string(), jsonValueSchema);
