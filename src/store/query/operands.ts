/**
 * Operands: the values a query compares fields with. Each is checked against JSON (an untrusted
 * value may come from the API, not only from JSON.parse) and against the field's type, so that a
 * query that could never match a column — `{"priority": "high"}` — is an error, not an empty
 * selection on a command that changes jobs.
 */
import { foreignStateHint } from "../../model/foreign-words.ts";
import { closest } from "../../model/suggest.ts";
import type { FieldRef, Scalar } from "./ast.ts";

export const MAX_STRING_LENGTH = 10_000;
const INT32 = 2 ** 31;

/** Where an operand appears: equality-like (`$eq`, `$ne`, `$in`, `$nin`) or a range comparison. */
export type OperandUse = "equality" | "range";

export type Checked = { ok: true; value: Scalar } | { ok: false; message: string };

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 60))}`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === undefined) return "undefined";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A JSON scalar, or why not. */
export function checkScalar(value: unknown, field: FieldRef): Checked {
  if (value === null || typeof value === "boolean") return { ok: true, value };
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? { ok: true, value }
      : { ok: false, message: `${value} is not a JSON number` };
  }
  if (typeof value === "string") {
    const problem = checkString(value);
    return problem ? { ok: false, message: problem } : { ok: true, value };
  }
  if (Array.isArray(value)) {
    return {
      ok: false,
      message:
        `comparing with a whole array is not supported: {"${field.text}": "x"} matches arrays that contain "x", ` +
        `$in matches any of several values, and "${field.text}.0" is the first element`,
    };
  }
  if (typeof value === "object") {
    return {
      ok: false,
      message:
        `comparing with a whole object is not supported (and operators start with $); ` +
        `compare its members with dotted paths, e.g. {"${field.text}.key": 1}`,
    };
  }
  return { ok: false, message: `${describe(value)} is not a JSON value` };
}

/** A string the database can hold: PostgreSQL refuses NUL, and unpaired surrogates are not UTF-8. */
export function checkString(s: string): string | undefined {
  if (s.length > MAX_STRING_LENGTH) return `strings are limited to ${MAX_STRING_LENGTH} characters`;
  if (s.includes("\u0000")) return "strings cannot contain NUL (\\u0000): stored text never does";
  if (!s.isWellFormed()) return "strings cannot contain unpaired surrogates: stored text never does";
  return undefined;
}

/** An operand for `field`: a JSON scalar of the field's type, with ISO-8601 times converted. */
export function checkOperand(value: unknown, field: FieldRef, use: OperandUse, op: string): Checked {
  const scalar = checkScalar(value, field);
  if (!scalar.ok) return scalar;
  const v = scalar.value;
  const { spec, name } = field;
  const range = use === "range";
  if (v === null) {
    return range ? { ok: false, message: `${op} compares with a number or a string, not null` } : scalar;
  }
  const fail = (expected: string): Checked => ({
    ok: false,
    message: `"${name}" ${expected}; got ${describe(v)}`,
  });
  switch (spec.type) {
    case "json":
      if (range && typeof v === "boolean")
        return { ok: false, message: `${op} compares with a number or a string` };
      return scalar;
    case "string":
      if (typeof v !== "string") return fail("is a string");
      if (!range && spec.values && !spec.values.includes(v)) {
        const near = closest(v, spec.values);
        return {
          ok: false,
          message: `unknown ${name} ${JSON.stringify(v)}${foreignStateHint(v) || (near ? ` (did you mean "${near}"?)` : "")}; one of ${spec.values.join(", ")}`,
        };
      }
      return scalar;
    case "number":
      return typeof v === "number" ? scalar : fail("is a number");
    case "integer":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) return fail("is an integer");
      if (spec.int32 && (v < -INT32 || v >= INT32)) return fail("is a 32-bit integer");
      return scalar;
    case "boolean":
      if (range) return { ok: false, message: `"${name}" is true or false: use $eq or $ne, not ${op}` };
      return typeof v === "boolean" ? scalar : fail("is true or false");
    case "time": {
      const expected =
        'is a time: milliseconds since the epoch, or an ISO-8601 date such as "2024-05-01T12:00:00Z"';
      if (typeof v === "number") return Number.isSafeInteger(v) ? scalar : fail(expected);
      if (typeof v !== "string") return fail(expected);
      const ms = parseIsoTime(v);
      return ms === undefined ? fail(expected) : { ok: true, value: ms };
    }
  }
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * ISO-8601 date or date-time → ms since the epoch. Without an offset the time is UTC (as
 * MongoDB's ISODate reads it), so a query means the same on every machine it runs on.
 */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m
    .slice(1, 7)
    .map((x) => (x === undefined ? undefined : Number(x)));
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const utc = Date.UTC(y!, mo! - 1, d!, h, mi, s, ms);
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo! - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    return undefined;
  }
  const zone = m[8];
  if (zone === undefined || zone.toUpperCase() === "Z") return utc;
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const minutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
  if (Number(z[2]) > 23 || Number(z[3] ?? 0) > 59) return undefined;
  return utc - (z[1] === "-" ? -1 : 1) * minutes * 60_000;
}
