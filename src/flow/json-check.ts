/**
 * Limits on JSON values that cross a trust boundary: flow files (inputs, metadata) and the files a
 * compute node writes (task outputs, actions). What they guard against, measured on main before
 * the limits (issue #8): zod's recursive `z.json()` throws RangeError on about 1,500 nested
 * arrays (exit 1 instead of 3); PostgreSQL refuses NUL (`\u0000`) and unpaired surrogates in
 * text and jsonb, so the same flow was accepted on SQLite and aborted the transaction on
 * PostgreSQL (exit 5). Refusing them here makes both dialects behave the same.
 *
 * The walk is iterative, so a document nested a million levels deep is refused, not a stack
 * overflow.
 */

import { isRawNumber } from "../model/json.ts";

/** How deep a JSON value (inputs, metadata, an output, an action) may nest. */
export const MAX_JSON_DEPTH = 64;

export interface JsonProblem {
  /** Where, as object keys and array indices from the checked value. */
  path: (string | number)[];
  message: string;
}

export interface JsonCheckOptions {
  maxDepth?: number;
  /** Stop after this many problems (default 20). */
  limit?: number;
}

/** Why a string cannot be stored on both dialects, or null. */
export function textProblem(s: string): string | null {
  if (s.includes("\u0000")) return "contains a NUL character (\\u0000), which PostgreSQL cannot store";
  if (!s.isWellFormed()) return "contains an unpaired UTF-16 surrogate, which is not valid Unicode text";
  return null;
}

function describe(value: unknown): string {
  if (typeof value === "object") return value?.constructor?.name ?? "object";
  return typeof value;
}

/** A container being walked, and the key or index of the child walked now. */
interface Frame {
  container: Record<string, unknown> | unknown[];
  /** An object's keys (those that are storable text), or null for an array. */
  keys: string[] | null;
  next: number;
  at: string | number;
}

/**
 * Problems of `value` as JSON to store: nesting deeper than `maxDepth`, strings or keys that are
 * not storable text, numbers that are not finite, values that are not JSON at all (undefined,
 * functions, dates from YAML). Returns [] for a good value.
 *
 * The walk keeps one frame per level, not one path per value: a path is built only for a value
 * that has a problem (a 10,000-job flow file holds about 100,000 values, and a path array for
 * each was a fifth of `ferry add`'s garbage). Values are visited in document order.
 */
export function checkJson(value: unknown, options: JsonCheckOptions = {}): JsonProblem[] {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const limit = options.limit ?? 20;
  const problems: JsonProblem[] = [];
  const frames: Frame[] = [];
  const path = (): (string | number)[] => frames.map((f) => f.at);
  let v: unknown = value;
  let fresh = true;
  while (problems.length < limit) {
    if (fresh) {
      fresh = false;
      const problem = valueProblem(v, frames.length, maxDepth);
      if (problem) problems.push({ path: path(), message: problem });
      else if (Array.isArray(v)) frames.push({ container: v, keys: null, next: 0, at: 0 });
      else if (typeof v === "object" && v !== null && !isRawNumber(v)) {
        const record = v as Record<string, unknown>;
        let keys = Object.keys(record);
        if (keys.some((k) => textProblem(k) !== null)) {
          // reported before the object's values, last key first, as they have always been
          for (let i = keys.length - 1; i >= 0; i--) {
            const p = textProblem(keys[i]!);
            if (p) problems.push({ path: [...path(), keys[i]!], message: `the key ${p}` });
          }
          keys = keys.filter((k) => textProblem(k) === null);
        }
        frames.push({ container: record, keys, next: 0, at: "" });
      }
    }
    const top = frames.at(-1);
    if (top === undefined) break;
    const length = top.keys === null ? (top.container as unknown[]).length : top.keys.length;
    if (top.next >= length) {
      frames.pop();
      continue;
    }
    top.at = top.keys === null ? top.next : top.keys[top.next]!;
    top.next++;
    v = (top.container as Record<string | number, unknown>)[top.at];
    fresh = true;
  }
  return problems.slice(0, limit);
}

/** Why one value (not what it holds) cannot be stored, at this depth; null if it can. */
function valueProblem(v: unknown, depth: number, maxDepth: number): string | null {
  if (v === null || typeof v === "boolean") return null;
  if (typeof v === "string") {
    const p = textProblem(v);
    return p ? `the text ${p}` : null;
  }
  if (typeof v === "number") return Number.isFinite(v) ? null : `${v} is not a finite number`;
  if (isRawNumber(v)) return null; // a number kept as written (model/json.ts parseJson): finite by construction
  if (
    typeof v !== "object" ||
    (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null)
  )
    return `a ${describe(v)} is not a JSON value`;
  return depth >= maxDepth ? `nested more than ${maxDepth} levels deep` : null;
}
