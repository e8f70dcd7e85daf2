/**
 * The query semantics as plain JavaScript: does a job (or run), as the API returns it, match a
 * parsed query? This is the executable form of docs/queries.md — the model-based test checks
 * that the SQL of both dialects selects exactly what this selects — and it lets code that
 * already holds jobs in memory (a dashboard refresh) filter them without a round trip.
 */
import { isPlainObject, jsonNumber } from "../../model/json.ts";
import type { Job, Run } from "../../model/types.ts";
import type { CompareOp, Condition, FieldRef, Scalar } from "./ast.ts";

export type QueryDocument = Readonly<Record<string, unknown>>;

/** A job as queries see it: `flowId` is `flow`; empty (null) columns are missing. */
export function jobDocument(job: Job): QueryDocument {
  const { flowId, tasks, unfinishedParents, recovery, heldFrom, ...rest } = job;
  return withoutNulls({ ...rest, flow: flowId });
}

export function runDocument(run: Run): QueryDocument {
  return withoutNulls({ ...run });
}

function withoutNulls(doc: Record<string, unknown>): QueryDocument {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== null && v !== undefined));
}

export function matches(doc: QueryDocument, c: Condition): boolean {
  switch (c.kind) {
    case "and":
      return c.of.every((x) => matches(doc, x));
    case "or":
      return c.of.some((x) => matches(doc, x));
    case "not":
      return !matches(doc, c.of);
    case "exists":
      return lookup(doc, c.field).found === c.exists;
    default: {
      const { found, value } = lookup(doc, c.field);
      const test = (x: unknown, present: boolean) => leafMatches(c, x, present);
      // a condition on an array also matches when one of its elements matches
      return test(value, found) || (Array.isArray(value) && value.some((e) => test(e, true)));
    }
  }
}

type ValueLeaf = Extract<Condition, { kind: "compare" | "in" | "regex" }>;

function leafMatches(c: ValueLeaf, x: unknown, present: boolean): boolean {
  switch (c.kind) {
    case "compare":
      return compare(x, present, c.op, c.value);
    case "in":
      return c.values.some((v) => compare(x, present, "eq", v));
    case "regex":
      return typeof x === "string" && new RegExp(c.regex.pattern, "su").test(x);
  }
}

function lookup(doc: QueryDocument, field: FieldRef): { found: boolean; value?: unknown } {
  if (!Object.hasOwn(doc, field.name)) return { found: false };
  let v = doc[field.name];
  if (v === null || v === undefined) return { found: false };
  for (const seg of field.path) {
    if (typeof seg === "number") {
      if (!Array.isArray(v) || seg >= v.length) return { found: false };
      v = v[seg];
    } else {
      if (!isPlainObject(v) || !Object.hasOwn(v, seg)) return { found: false };
      v = (v as Record<string, unknown>)[seg];
    }
  }
  return { found: true, value: v };
}

/** Same-type comparison ("type bracketing"); null equals null and missing. */
function compare(raw: unknown, present: boolean, op: CompareOp, v: Scalar): boolean {
  // a number kept as its spelling (`1.0`, model/json.ts) compares as the number
  const x = jsonNumber(raw) ?? raw;
  if (v === null) return op === "eq" && (!present || x === null);
  if (!present || typeof x !== typeof v) return false;
  const order =
    typeof v === "string"
      ? codePointOrder(x as string, v)
      : x === v
        ? 0
        : (x as number | boolean) < v
          ? -1
          : 1;
  switch (op) {
    case "eq":
      return order === 0;
    case "gt":
      return order > 0;
    case "gte":
      return order >= 0;
    case "lt":
      return order < 0;
    case "lte":
      return order <= 0;
  }
}

/** Strings order by Unicode code point (UTF-8 byte order), as SQLite and PostgreSQL's "C" do. */
export function codePointOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
