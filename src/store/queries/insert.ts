/** Multi-row INSERT in chunks (both dialects accept `VALUES (…), (…)` with RETURNING). */
import { chunks, placeholders, type SqlClient, type SqlParam } from "../sql.ts";

export async function insertRows<T = Record<string, unknown>>(
  c: SqlClient,
  table: string,
  columns: readonly string[],
  rows: readonly SqlParam[][],
  returning?: string,
): Promise<T[]> {
  const out: T[] = [];
  const perRow = `(${placeholders(columns.length)})`;
  const size = Math.max(1, Math.floor(3000 / columns.length));
  for (const chunk of chunks(rows, size)) {
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${chunk.map(() => perRow).join(", ")}${
      returning ? ` RETURNING ${returning}` : ""
    }`;
    const params = chunk.flat();
    if (returning) out.push(...(await c.all<T>(sql, params)));
    else await c.run(sql, params);
  }
  return out;
}
