/**
 * The narrow SQL surface the store is written against. Two implementations: sqlite/client.ts
 * (node:sqlite, the embedded default) and postgres/client.ts (pg). Queries are written once with
 * `?` placeholders; the PostgreSQL client numbers them. Only store/ imports this file.
 */

export type SqlParam = string | number | bigint | boolean | null | undefined;

export interface RunResult {
  changes: number;
}

export interface SqlClient {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends SqlClient {
  /**
   * Run `fn` in one write transaction. SQLite: BEGIN IMMEDIATE (writers queue on the database
   * lock instead of failing on upgrade). PostgreSQL: READ COMMITTED with row locks; the whole
   * function is retried on deadlock or serialization failure, so it must only touch the database.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** A short description for messages ("SQLite /path/ferry.db", "PostgreSQL host/db"). */
  readonly description: string;
  close(): Promise<void>;
}

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** A JSON column value as read from the driver → JS value (SQLite stores text). */
  readJson(value: unknown): unknown;
  /** SQL for the JSON value at `path` inside `column` (for comparisons with typed values). */
  jsonExtract(column: string, path: readonly (string | number)[]): string;
  /** SQL for the text at `path` inside `column` (strings unquoted), for LIKE/regex. */
  jsonExtractText(column: string, path: readonly (string | number)[]): string;
  /** SQL for "the JSON at path is of type": 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object'. */
  jsonTypeOf(column: string, path: readonly (string | number)[]): string;
  /** Case-sensitive regular-expression match of `expr` against a `?` parameter. */
  regexMatch(expr: string, flags: string): string;
  /** Locking suffix for "claim" selects: FOR UPDATE SKIP LOCKED on PostgreSQL, nothing on SQLite. */
  readonly skipLocked: string;
  /**
   * `expr` as a value of a column type. A `VALUES` list of parameters is typed text on PostgreSQL,
   * so a batch update casts each value to its column's type; SQLite's column affinity needs none.
   */
  cast(expr: string, type: SqlType): string;
}

/** Column types, in the words of the migrations. */
export type SqlType = "text" | "bigint" | "integer" | "smallint" | "json";

/** `(?, ?, ?)` for n parameters. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Split a long id list into chunks small enough for one statement (SQLite's limit is 32766). */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
