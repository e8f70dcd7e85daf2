/**
 * SQL for one JSON value (at a path in a column, or an element of an array) in the shape the
 * translator compares with: its type, and its value as a number, a string or a boolean — each
 * NULL unless the value has that type. Guarding by type is what gives MongoDB's "type
 * bracketing" (5 never equals "5") and keeps PostgreSQL from raising a cast error on `"x"::float8`.
 *
 * The two dialects differ in more than the Dialect helpers cover (iterating array elements,
 * casts, collation, how a digit segment reads an object), so the differences are spelled out
 * here, next to each other, and the translator above is written once.
 */
import type { Dialect } from "../sql.ts";

export type JsonPath = readonly (string | number)[];

export interface JsonValueSql {
  /** 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object', or NULL when missing. */
  readonly type: string;
  /** The number as a double (numbers compare as JavaScript numbers do). */
  readonly num: string;
  /** The string; compare it in code-point order with `JsonSql.textOrder`. */
  readonly str: string;
  /** The boolean (SQLite: 1/0, which a boolean parameter binds to). */
  readonly bool: string;
}

export interface JsonSql {
  value(column: string, path: JsonPath): JsonValueSql;
  /** An EXISTS over the elements of the value when it is an array (false otherwise). */
  someElement(column: string, path: JsonPath, predicate: (element: JsonValueSql) => string): string;
  /**
   * Appended to a text expression before `<`/`>`: PostgreSQL compares by the database collation
   * (locale order), SQLite and MongoDB by bytes — `COLLATE "C"` makes PostgreSQL compare bytes too.
   */
  readonly textOrder: string;
}

export function jsonSql(dialect: Dialect): JsonSql {
  return dialect.name === "sqlite" ? sqliteJson(dialect) : postgresJson(dialect);
}

function sqliteJson(d: Dialect): JsonSql {
  const element: JsonValueSql = {
    type: "(CASE qe.type WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' WHEN 'text' THEN 'string' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' ELSE qe.type END)",
    num: "(CASE WHEN qe.type IN ('integer', 'real') THEN CAST(qe.value AS REAL) END)",
    str: "(CASE WHEN qe.type = 'text' THEN qe.value END)",
    bool: "(CASE WHEN qe.type IN ('true', 'false') THEN qe.value END)",
  };
  return {
    value(column, path) {
      const type = d.jsonTypeOf(column, path);
      // CAST AS REAL: JSON.stringify(2 ** 62) is "4611686018427388000", which json_extract
      // reads as that exact INTEGER, not the double JavaScript meant; as a REAL it is that
      // double again (and PostgreSQL compares float8).
      return {
        type,
        num: `(CASE WHEN ${type} = 'number' THEN CAST(${d.jsonExtract(column, path)} AS REAL) END)`,
        str: `(CASE WHEN ${type} = 'string' THEN ${d.jsonExtractText(column, path)} END)`,
        bool: `(CASE WHEN ${type} = 'boolean' THEN ${d.jsonExtract(column, path)} END)`,
      };
    },
    someElement(column, path, predicate) {
      const array = `CASE WHEN ${d.jsonTypeOf(column, path)} = 'array' THEN ${d.jsonExtract(column, path)} END`;
      return `EXISTS (SELECT 1 FROM json_each(${array}) AS qe WHERE ${predicate(element)})`;
    },
    textOrder: "",
  };
}

function postgresJson(d: Dialect): JsonSql {
  /**
   * `#>` reads a digit segment as an array index or, on an object, as the key "0"; SQLite's
   * `$[0]` only indexes arrays. The documented meaning is "array index", so on PostgreSQL each
   * digit segment is guarded by "the value before it is an array".
   */
  const extract = (column: string, path: JsonPath): string => {
    const guards = path.flatMap((seg, i) =>
      typeof seg === "number" ? [`${d.jsonTypeOf(column, path.slice(0, i))} = 'array'`] : [],
    );
    const x = d.jsonExtract(column, path);
    return guards.length === 0 ? x : `(CASE WHEN ${guards.join(" AND ")} THEN ${x} END)`;
  };
  const of = (x: string): JsonValueSql => {
    const type = d.jsonTypeOf(x, []);
    return {
      type,
      num: `(CASE WHEN ${type} = 'number' THEN (${x})::float8 END)`,
      str: `(CASE WHEN ${type} = 'string' THEN ${d.jsonExtractText(x, [])} END)`,
      bool: `(CASE WHEN ${type} = 'boolean' THEN (${x})::boolean END)`,
    };
  };
  return {
    value: (column, path) => of(extract(column, path)),
    someElement(column, path, predicate) {
      const x = extract(column, path);
      const array = `CASE WHEN ${d.jsonTypeOf(x, [])} = 'array' THEN ${x} END`;
      return `EXISTS (SELECT 1 FROM jsonb_array_elements(${array}) AS qe(v) WHERE ${predicate(of("qe.v"))})`;
    },
    textOrder: ' COLLATE "C"',
  };
}
