/**
 * Untrusted JSON → a validated query (ast.ts). Every problem becomes an issue of one
 * ValidationError, located by its path in the query (`$or[1].outputs.energy.$gt`) and saying
 * what is allowed. Depth and size are bounded before anything is walked further, so a hostile
 * or accidental giant query costs little.
 */
import { type Issue, ValidationError } from "../../model/errors.ts";
import { closest } from "../../model/suggest.ts";
import type { CompareOp, Condition, FieldRef, Scalar } from "./ast.ts";
import {
  type FieldMap,
  type FieldSpec,
  FOREIGN_NAMES,
  fieldNames,
  foreignPath,
  JOB_FIELDS,
  RUN_FIELDS,
} from "./fields.ts";
import { checkOperand, checkString } from "./operands.ts";
import { compilePattern, REGEX_OPTIONS } from "./regex.ts";

export const LIMITS = {
  /** Nesting of objects and arrays in the query. */
  depth: 32,
  /**
   * Keys and values in the whole query. Each condition costs PostgreSQL a few milliseconds of
   * planning (300 conditions on JSON fields: about 1.5 s), so this bounds the worst case.
   */
  nodes: 1_000,
  /** Values in one $in / $nin. */
  inValues: 500,
  pathSegments: 16,
  segmentLength: 64,
  arrayIndex: 1_000_000,
  /** Issues reported before giving up. */
  issues: 20,
};

export const FIELD_OPERATORS = [
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$regex",
  "$options",
  "$not",
];
const LOGICAL_OPERATORS = ["$and", "$or", "$not"];
const RANGE: Record<string, CompareOp> = { $gt: "gt", $gte: "gte", $lt: "lt", $lte: "lte" };
const KEY = /^[A-Za-z0-9_@:+-]+$/;
const INDEX = /^(0|[1-9][0-9]*)$/;

/** Thrown to stop at once (limits, too many issues); the issues gathered so far are reported. */
class Abort extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function kindOf(v: unknown): string {
  return v === null
    ? "null"
    : Array.isArray(v)
      ? "an array"
      : typeof v === "object"
        ? "an object"
        : `a ${typeof v}`;
}

export function parseJobQuery(query: unknown): Condition {
  return parseQuery(query, JOB_FIELDS);
}

export function parseRunQuery(query: unknown): Condition {
  return parseQuery(query, RUN_FIELDS);
}

export function parseQuery(query: unknown, fields: FieldMap): Condition {
  const p = new QueryParser(fields);
  let result: Condition | undefined;
  try {
    result = p.document(query, "", 0);
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
  }
  if (p.issues.length > 0 || result === undefined) {
    const n = p.issues.length;
    throw new ValidationError(
      `Invalid ${fields.subject} query: ${n} problem${n === 1 ? "" : "s"} (the query language is described in docs/queries.md)`,
      p.issues,
    );
  }
  return result;
}

class QueryParser {
  readonly issues: Issue[] = [];
  readonly #fields: FieldMap;
  #nodes = 0;

  constructor(fields: FieldMap) {
    this.#fields = fields;
  }

  #issue(loc: string, message: string): undefined {
    this.issues.push(loc === "" ? { message } : { field: loc, message });
    if (this.issues.length >= LIMITS.issues) throw new Abort();
    return undefined;
  }

  #enter(loc: string, depth: number, count = 1): void {
    this.#nodes += count;
    if (this.#nodes > LIMITS.nodes) {
      this.#issue(loc, `the query is too large: at most ${LIMITS.nodes} keys and values`);
      throw new Abort();
    }
    if (depth > LIMITS.depth) {
      this.#issue(loc, `the query nests too deeply: at most ${LIMITS.depth} levels`);
      throw new Abort();
    }
  }

  /** An object of field conditions and $and/$or/$not, all of which must hold. */
  document(value: unknown, loc: string, depth: number): Condition | undefined {
    this.#enter(loc, depth);
    if (!isObject(value)) {
      return this.#issue(loc, `a query is a JSON object such as {"state": "FAILED"}; got ${kindOf(value)}`);
    }
    const parts: (Condition | undefined)[] = [];
    for (const [key, v] of Object.entries(value)) {
      const at = loc === "" ? key : `${loc}.${key}`;
      this.#enter(at, depth + 1);
      parts.push(
        key.startsWith("$") ? this.#logical(key, v, at, depth + 1) : this.#field(key, v, at, depth + 1),
      );
    }
    return all(parts);
  }

  #logical(op: string, v: unknown, loc: string, depth: number): Condition | undefined {
    if (op === "$and" || op === "$or") {
      if (!Array.isArray(v) || v.length === 0) {
        return this.#issue(loc, `${op} takes a non-empty array of queries; got ${kindOf(v)}`);
      }
      this.#enter(loc, depth, v.length);
      const parts = v.map((item, i) => this.document(item, `${loc}[${i}]`, depth + 1));
      if (parts.some((c) => c === undefined)) return undefined;
      return { kind: op === "$and" ? "and" : "or", of: parts as Condition[] };
    }
    if (op === "$not") {
      const inner = this.document(v, loc, depth);
      return inner && { kind: "not", of: inner };
    }
    const hint =
      op === "$where"
        ? "$where runs JavaScript and is never allowed"
        : op === "$nor"
          ? '$nor is not supported; write {"$not": {"$or": [...]}}'
          : `unknown operator ${op}`;
    return this.#issue(
      loc,
      `${hint}; at the top level a query holds field conditions and ${LOGICAL_OPERATORS.join(", ")}`,
    );
  }

  /** `key` names a field; `v` is a value (implicit $eq) or an object of operators. */
  #field(key: string, v: unknown, loc: string, depth: number): Condition | undefined {
    const field = this.#resolve(key, loc);
    if (isObject(v) && Object.keys(v).some((k) => k.startsWith("$"))) {
      const plain = Object.keys(v).filter((k) => !k.startsWith("$"));
      if (plain.length > 0) {
        return this.#issue(
          `${loc}.${plain[0]}`,
          "an object of operators cannot also hold plain keys; to reach inside the field use a dotted path " +
            `such as "${key}.${plain[0]}"`,
        );
      }
      return field && this.#operators(field, v, loc, depth);
    }
    if (!field) return undefined;
    const value = this.#operand(field, v, loc, "equality", "$eq");
    return value === undefined ? undefined : { kind: "compare", field, op: "eq", value: value.v };
  }

  #resolve(key: string, loc: string): FieldRef | undefined {
    const segments = key.split(".");
    const [name, ...rest] = segments as [string, ...string[]];
    const spec: FieldSpec | undefined = Object.hasOwn(this.#fields.fields, name)
      ? this.#fields.fields[name]
      : undefined;
    if (spec === undefined) return this.#issue(loc, this.#unknownField(name));
    const foreign = foreignPath(this.#fields, key);
    if (foreign) return this.#issue(loc, foreign);
    if (rest.length > 0 && spec.type !== "json") {
      return this.#issue(loc, `"${name}" is a plain ${spec.type} field: it has no members to reach with "."`);
    }
    if (segments.length > LIMITS.pathSegments) {
      return this.#issue(loc, `paths have at most ${LIMITS.pathSegments} segments`);
    }
    const path: (string | number)[] = [];
    for (const seg of rest) {
      if (INDEX.test(seg) && Number(seg) <= LIMITS.arrayIndex) path.push(Number(seg));
      else if (seg.length > 0 && seg.length <= LIMITS.segmentLength && KEY.test(seg) && !/^\d+$/.test(seg)) {
        path.push(seg);
      } else {
        const why = seg.startsWith("$")
          ? `; operators go in the value, as in {"${name}.x": {"${seg}": 1}}`
          : /^\d+$/.test(seg)
            ? `; an array index is a number from 0 to ${LIMITS.arrayIndex} without leading zeros`
            : `; a path segment is 1 to ${LIMITS.segmentLength} letters, digits, or _ - @ : +`;
        return this.#issue(loc, `invalid path segment ${JSON.stringify(seg)} in "${key}"${why}`);
      }
    }
    return { name, spec, path, text: key };
  }

  #unknownField(name: string): string {
    const map = this.#fields;
    const names = fieldNames(map);
    const foreign = Object.hasOwn(FOREIGN_NAMES, name) ? ` (ferry calls it ${FOREIGN_NAMES[name]})` : "";
    const other = map === JOB_FIELDS ? RUN_FIELDS : JOB_FIELDS;
    const elsewhere = Object.hasOwn(other.fields, name)
      ? ` ("${name}" is a ${map.otherSubject} field: ${map.otherHint})`
      : "";
    const near = foreign || elsewhere ? undefined : closest(name, names);
    const suggestion = near ? ` (did you mean "${near}"?)` : "";
    return `unknown ${map.subject} field "${name}"${foreign}${elsewhere}${suggestion}; ${map.subject} fields are ${names.join(", ")}`;
  }

  #operators(
    field: FieldRef,
    ops: Record<string, unknown>,
    loc: string,
    depth: number,
  ): Condition | undefined {
    this.#enter(loc, depth + 1, Object.keys(ops).length);
    const parts: (Condition | undefined)[] = [];
    const hasRegex = Object.hasOwn(ops, "$regex");
    for (const [op, v] of Object.entries(ops)) {
      const at = `${loc}.${op}`;
      if (op === "$eq" || op === "$ne") {
        const value = this.#operand(field, v, at, "equality", op);
        const eq: Condition | undefined = value && { kind: "compare", field, op: "eq", value: value.v };
        parts.push(op === "$ne" && eq ? { kind: "not", of: eq } : eq);
      } else if (Object.hasOwn(RANGE, op)) {
        const value = this.#operand(field, v, at, "range", op);
        parts.push(value && { kind: "compare", field, op: RANGE[op]!, value: value.v });
      } else if (op === "$in" || op === "$nin") {
        const values = this.#list(field, v, at, op, depth + 1);
        const cond: Condition | undefined = values && { kind: "in", field, values };
        parts.push(op === "$nin" && cond ? { kind: "not", of: cond } : cond);
      } else if (op === "$exists") {
        if (typeof v !== "boolean")
          parts.push(this.#issue(at, `$exists takes true or false; got ${kindOf(v)}`));
        else parts.push({ kind: "exists", field, exists: v });
      } else if (op === "$regex") {
        parts.push(this.#regex(field, v, ops.$options, at, `${loc}.$options`));
      } else if (op === "$options") {
        if (!hasRegex) parts.push(this.#issue(at, "$options goes with $regex, in the same object"));
      } else if (op === "$not") {
        if (!isObject(v) || Object.keys(v).length === 0 || Object.keys(v).some((k) => !k.startsWith("$"))) {
          parts.push(
            this.#issue(at, `$not takes an object of operators such as {"$regex": "x"}; got ${kindOf(v)}`),
          );
        } else {
          const inner = this.#operators(field, v, at, depth + 1);
          parts.push(inner && { kind: "not", of: inner });
        }
      } else {
        const near = closest(op, FIELD_OPERATORS);
        const hint = LOGICAL_OPERATORS.includes(op)
          ? ` (${op} goes at the top level, around field conditions)`
          : "";
        parts.push(
          this.#issue(
            at,
            `unknown operator ${op}${hint || (near ? ` (did you mean ${near}?)` : "")}; allowed: ${FIELD_OPERATORS.join(", ")}`,
          ),
        );
      }
    }
    return all(parts);
  }

  #operand(
    field: FieldRef,
    v: unknown,
    loc: string,
    use: "equality" | "range",
    op: string,
  ): { v: Scalar } | undefined {
    const checked = checkOperand(v, field, use, op);
    return checked.ok ? { v: checked.value } : this.#issue(loc, checked.message);
  }

  #list(field: FieldRef, v: unknown, loc: string, op: string, depth: number): Scalar[] | undefined {
    if (!Array.isArray(v)) return this.#issue(loc, `${op} takes an array of values; got ${kindOf(v)}`);
    if (v.length > LIMITS.inValues) return this.#issue(loc, `${op} takes at most ${LIMITS.inValues} values`);
    this.#enter(loc, depth + 1, v.length);
    const out: Scalar[] = [];
    let ok = true;
    v.forEach((item, i) => {
      const value = this.#operand(field, item, `${loc}[${i}]`, "equality", op);
      if (value) out.push(value.v);
      else ok = false;
    });
    return ok ? out : undefined;
  }

  #regex(
    field: FieldRef,
    source: unknown,
    options: unknown,
    loc: string,
    optionsLoc: string,
  ): Condition | undefined {
    const { spec, name } = field;
    if (spec.type !== "string" && spec.type !== "json") {
      return this.#issue(loc, `$regex matches text, and "${name}" is a ${spec.type} field`);
    }
    if (typeof source !== "string") return this.#issue(loc, `$regex takes a string; got ${kindOf(source)}`);
    const problem = checkString(source);
    if (problem) return this.#issue(loc, problem);
    let opts = "";
    if (options !== undefined) {
      if (typeof options !== "string")
        return this.#issue(optionsLoc, `$options takes a string such as "i"; got ${kindOf(options)}`);
      const bad = [...options].find((c) => !REGEX_OPTIONS.includes(c));
      if (bad !== undefined) {
        return this.#issue(
          optionsLoc,
          `unsupported option ${JSON.stringify(bad)}; options are i (ASCII case-insensitive), m (^ and $ at line breaks), s (. matches newlines)`,
        );
      }
      opts = [...new Set(options)].sort().join("");
    }
    const compiled = compilePattern(source, opts);
    if (!compiled.ok) return this.#issue(loc, `invalid regular expression: ${compiled.message}`);
    return {
      kind: "regex",
      field,
      regex: {
        source,
        options: opts,
        pattern: compiled.pattern,
        linear: compiled.linear,
        engine: compiled.engine,
      },
    };
  }
}

/** AND of the parts, or undefined when any failed. */
function all(parts: readonly (Condition | undefined)[]): Condition | undefined {
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.length === 1 ? parts[0] : { kind: "and", of: parts as Condition[] };
}
