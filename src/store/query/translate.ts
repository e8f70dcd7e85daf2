/**
 * Queries → SQL conditions: over `jobs` aliased `j` (for `JobFilter.where`) or, with `--runs`,
 * over `runs` aliased `r` (for the `runQuery` job selector, store/queries/job-filter.ts). The meaning is the one docs/queries.md
 * describes, identical on SQLite and PostgreSQL; the model-based test checks it against a
 * JavaScript evaluator on both.
 *
 * Nothing the user wrote is pasted into SQL: values are parameters, column names come from
 * fields.ts, and JSON path segments (validated in parse.ts) are quoted by the dialect.
 */
import type { SqlFragment } from "../fragment.ts";
import { fragment, joinFragments } from "../fragment.ts";
import { type Dialect, placeholders, type SqlParam } from "../sql.ts";
import type { CompareOp, Condition, FieldRef, Scalar } from "./ast.ts";
import { type JsonSql, type JsonValueSql, jsonSql } from "./json-sql.ts";
import { parseJobQuery, parseRunQuery } from "./parse.ts";
import type { RegexEngine } from "./regex.ts";

/** `query` (untrusted JSON) as a condition over `jobs j`; throws ValidationError. */
export function translateJobQuery(dialect: Dialect, query: unknown): SqlFragment {
  return conditionSql(dialect, parseJobQuery(query));
}

/** `query` (untrusted JSON) as a condition over `runs r`; throws ValidationError. */
export function translateRunQuery(dialect: Dialect, query: unknown): SqlFragment {
  return conditionSql(dialect, parseRunQuery(query));
}

const SQL_OP: Record<CompareOp, string> = { eq: "=", gt: ">", gte: ">=", lt: "<", lte: "<=" };
/**
 * A `$regex` condition. regexMatch puts the pattern's `?` before the expression on SQLite and
 * after it on PostgreSQL; the expressions here hold no parameter, so a regex fragment's single
 * parameter is right on both. SQLite's ferry_regexp runs the UTF-16 form, with flag `l` (V8's
 * linear-time engine) unless regex.ts found the pattern safe to backtrack; PostgreSQL runs the
 * code-point form and ignores the flag.
 */
export function regexFragment(
  dialect: Dialect,
  expr: string,
  regex: { pattern: string; linear: string; engine: RegexEngine },
) {
  return fragment(dialect.regexMatch(expr, regex.engine === "linear" ? "l" : ""), [
    dialect.name === "sqlite" ? regex.linear : regex.pattern,
  ]);
}

export function conditionSql(dialect: Dialect, c: Condition): SqlFragment {
  const json = jsonSql(dialect);
  const walk = (node: Condition): SqlFragment => {
    switch (node.kind) {
      case "and":
        return joinFragments(node.of.map(walk), " AND ", "1=1");
      case "or":
        return joinFragments(node.of.map(walk), " OR ", "1=0");
      case "not": {
        // A condition may be NULL in SQL (a comparison with a missing value); AND and OR treat
        // NULL like false already, NOT would keep it NULL — so "not matched" must be said first.
        const inner = walk(node.of);
        return fragment(`NOT COALESCE((${inner.sql}), FALSE)`, inner.params);
      }
      default:
        return node.field.spec.type === "json"
          ? jsonLeaf(dialect, json, node)
          : columnLeaf(dialect, json, node);
    }
  };
  return walk(c);
}

type Leaf = Extract<Condition, { field: FieldRef }>;

/** A condition on a plain column. A NULL column is a missing field. */
function columnLeaf(dialect: Dialect, json: JsonSql, leaf: Leaf): SqlFragment {
  const { column, type } = leaf.field.spec;
  // booleans are stored as 0/1 integers
  const param = (v: Scalar): SqlParam => (typeof v === "boolean" ? (v ? 1 : 0) : v);
  switch (leaf.kind) {
    case "exists":
      return fragment(`${column} IS ${leaf.exists ? "NOT " : ""}NULL`);
    case "compare": {
      if (leaf.value === null) return fragment(`${column} IS NULL`);
      const ordered = leaf.op !== "eq" && type === "string" ? `${column}${json.textOrder}` : column;
      return fragment(`${ordered} ${SQL_OP[leaf.op]} ?`, [param(leaf.value)]);
    }
    case "in": {
      const values = leaf.values.filter((v) => v !== null);
      const parts =
        values.length > 0
          ? [fragment(`${column} IN (${placeholders(values.length)})`, values.map(param))]
          : [];
      if (values.length < leaf.values.length) parts.push(fragment(`${column} IS NULL`));
      return joinFragments(parts, " OR ", "1=0");
    }
    case "regex":
      return regexFragment(dialect, column, leaf.regex);
  }
}

/**
 * A condition inside a JSON column. Like MongoDB, a condition on a value that is an array also
 * matches when one of its elements matches (`{"metadata.tags": "gpu"}` matches ["gpu", "big"]);
 * $exists looks at the value itself.
 */
function jsonLeaf(dialect: Dialect, json: JsonSql, leaf: Leaf): SqlFragment {
  const { column } = leaf.field.spec;
  const { path } = leaf.field;
  const value = json.value(column, path);
  if (leaf.kind === "exists") return fragment(`${value.type} IS ${leaf.exists ? "NOT " : ""}NULL`);
  const own = jsonPredicate(dialect, json, leaf, value);
  let elementParams: SqlParam[] = [];
  const elements = json.someElement(column, path, (e) => {
    const f = jsonPredicate(dialect, json, leaf, e);
    elementParams = f.params;
    return f.sql;
  });
  return fragment(`(${own.sql}) OR ${elements}`, [...own.params, ...elementParams]);
}

function jsonPredicate(dialect: Dialect, json: JsonSql, leaf: Leaf, v: JsonValueSql): SqlFragment {
  switch (leaf.kind) {
    case "compare":
      return compareJson(json, v, leaf.op, leaf.value);
    case "in": {
      const byType = (kind: "number" | "string" | "boolean", expr: string): SqlFragment[] => {
        const values = leaf.values.filter((x) => typeof x === kind);
        return values.length === 0 ? [] : [fragment(`${expr} IN (${placeholders(values.length)})`, values)];
      };
      const parts = [...byType("number", v.num), ...byType("string", v.str), ...byType("boolean", v.bool)];
      if (leaf.values.includes(null)) parts.push(compareJson(json, v, "eq", null));
      return joinFragments(parts, " OR ", "1=0");
    }
    case "regex":
      return regexFragment(dialect, v.str, leaf.regex);
    case "exists":
      return fragment(`${v.type} IS ${leaf.exists ? "NOT " : ""}NULL`);
  }
}

function compareJson(json: JsonSql, v: JsonValueSql, op: CompareOp, value: Scalar): SqlFragment {
  // equality with null matches a missing value too (MongoDB does the same)
  if (value === null) return fragment(`COALESCE(${v.type}, 'null') = 'null'`);
  const expr =
    typeof value === "number"
      ? v.num
      : typeof value === "boolean"
        ? v.bool
        : op === "eq"
          ? v.str
          : `${v.str}${json.textOrder}`;
  return fragment(`${expr} ${SQL_OP[op]} ?`, [value]);
}
