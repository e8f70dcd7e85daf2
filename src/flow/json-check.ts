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

/**
 * Problems of `value` as JSON to store: nesting deeper than `maxDepth`, strings or keys that are
 * not storable text, numbers that are not finite, values that are not JSON at all (undefined,
 * functions, dates from YAML). Returns [] for a good value.
 */
export function checkJson(value: unknown, options: JsonCheckOptions = {}): JsonProblem[] {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const limit = options.limit ?? 20;
  const problems: JsonProblem[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0 && problems.length < limit) {
    const { value: v, path } = stack.pop()!;
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "string") {
      const p = textProblem(v);
      if (p) problems.push({ path, message: `the text ${p}` });
      continue;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) problems.push({ path, message: `${v} is not a finite number` });
      continue;
    }
    if (isRawNumber(v)) continue; // a number kept as written (model/json.ts parseJson): finite by construction
    const isArray = Array.isArray(v);
    if (
      typeof v !== "object" ||
      (!isArray && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null)
    ) {
      problems.push({ path, message: `a ${describe(v)} is not a JSON value` });
      continue;
    }
    if (path.length >= maxDepth) {
      problems.push({ path, message: `nested more than ${maxDepth} levels deep` });
      continue;
    }
    if (isArray) {
      for (let i = (v as unknown[]).length - 1; i >= 0; i--)
        stack.push({ value: (v as unknown[])[i], path: [...path, i] });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i]!;
      const p = textProblem(k);
      if (p) problems.push({ path: [...path, k], message: `the key ${p}` });
      else stack.push({ value: child, path: [...path, k] });
    }
  }
  return problems.slice(0, limit);
}
