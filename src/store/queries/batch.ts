/**
 * One UPDATE for many rows that each get their own values: `WITH v(…) AS (VALUES …) UPDATE t
 * SET col = v.col … FROM v WHERE t.key = v.key`. Both dialects accept this form (SQLite since
 * 3.33). It turns "one statement per collected run" into one statement per few hundred runs,
 * which is what a PostgreSQL round trip per statement makes worth doing (bench/recover.ts).
 */
import { chunks, type SqlClient, type SqlParam, type SqlType } from "../sql.ts";

export interface ValuesColumn {
  /** The target table's column. */
  column: string;
  type: SqlType;
}

export interface UpdateFromValues {
  table: string;
  /** The target's key column (bigint), matched against the first value of each row. */
  key: string;
  /** The columns each row sets, in the order of each row's values after the key. */
  columns: readonly ValuesColumn[];
  rows: readonly (readonly SqlParam[])[];
  /** Further `SET` clauses, the same for every row (e.g. `updated_at = ?`). */
  sets?: { sql: string; params: readonly SqlParam[] };
  /** Extra conditions on the target row, unqualified columns of `table`. */
  where?: { sql: string; params: readonly SqlParam[] };
  /** RETURNING list (columns of `table`), or nothing. */
  returning?: string;
}

/** Rows per statement: well under SQLite's 32,766 parameters with a dozen columns. */
const ROWS_PER_STATEMENT = 500;

export async function updateFromValues<T = Record<string, unknown>>(
  c: SqlClient,
  u: UpdateFromValues,
): Promise<T[]> {
  if (u.rows.length === 0) return [];
  const width = u.columns.length + 1;
  const names = ["k_v", ...u.columns.map((col) => `${col.column}_v`)];
  const setList = [
    ...u.columns.map((col) => `${col.column} = ${c.dialect.cast(`v.${col.column}_v`, col.type)}`),
    ...(u.sets ? [u.sets.sql] : []),
  ].join(", ");
  const where = `${u.table}.${u.key} = ${c.dialect.cast("v.k_v", "bigint")}${u.where ? ` AND ${u.where.sql}` : ""}`;
  const out: T[] = [];
  for (const chunk of chunks(u.rows, ROWS_PER_STATEMENT)) {
    const tuple = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    const sql = `WITH v(${names.join(", ")}) AS (VALUES ${chunk.map(() => tuple).join(", ")}) UPDATE ${u.table} SET ${setList} FROM v WHERE ${where}${u.returning ? ` RETURNING ${u.returning}` : ""}`;
    const params: SqlParam[] = [];
    for (const row of chunk) {
      if (row.length !== width)
        throw new Error(`updateFromValues: a row of ${row.length} values for ${width} columns`);
      params.push(...row);
    }
    params.push(...(u.sets?.params ?? []), ...(u.where?.params ?? []));
    if (u.returning) out.push(...(await c.all<T>(sql, params)));
    else await c.run(sql, params);
  }
  return out;
}
