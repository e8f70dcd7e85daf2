/**
 * The validated form of a query: what parse.ts produces and translate.ts (and the reference
 * evaluator in the tests) consume. `$ne` and `$nin` do not appear: they are `not` of `eq`/`in`,
 * which is exactly MongoDB's meaning (they also match documents where the field is missing).
 */
import type { FieldSpec } from "./fields.ts";
import type { RegexEngine } from "./regex.ts";

export type Scalar = string | number | boolean | null;

export interface FieldRef {
  /** The top-level field (`outputs`). */
  readonly name: string;
  readonly spec: FieldSpec;
  /** Segments inside a JSON field: strings are object keys, numbers array indices. */
  readonly path: readonly (string | number)[];
  /** As the user wrote it (`outputs.values.0`), for messages. */
  readonly text: string;
}

export type CompareOp = "eq" | "gt" | "gte" | "lt" | "lte";

export interface CompiledRegex {
  /** What the user wrote, with its options. */
  readonly source: string;
  readonly options: string;
  /**
   * The equivalent pattern in the syntax both engines read the same way (regex.ts): run as a
   * PostgreSQL ARE with `~` (and by JavaScript with flags `su`).
   */
  readonly pattern: string;
  /** The same meaning over UTF-16 (no flags), which SQLite runs on `engine`. */
  readonly linear: string;
  readonly engine: RegexEngine;
}

export type Condition =
  | { readonly kind: "and"; readonly of: readonly Condition[] }
  | { readonly kind: "or"; readonly of: readonly Condition[] }
  | { readonly kind: "not"; readonly of: Condition }
  | { readonly kind: "compare"; readonly field: FieldRef; readonly op: CompareOp; readonly value: Scalar }
  | { readonly kind: "in"; readonly field: FieldRef; readonly values: readonly Scalar[] }
  | { readonly kind: "exists"; readonly field: FieldRef; readonly exists: boolean }
  | { readonly kind: "regex"; readonly field: FieldRef; readonly regex: CompiledRegex };

export const TRUE_CONDITION: Condition = { kind: "and", of: [] };
