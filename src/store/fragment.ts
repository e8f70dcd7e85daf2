/** A piece of SQL with its parameters, composed by the filter builders and the query translator. */
import type { SqlParam } from "./sql.ts";

export interface SqlFragment {
  sql: string;
  params: SqlParam[];
}

export function fragment(sql: string, params: SqlParam[] = []): SqlFragment {
  return { sql, params };
}

export function joinFragments(parts: readonly SqlFragment[], separator: string, empty = "1=1"): SqlFragment {
  if (parts.length === 0) return { sql: empty, params: [] };
  return {
    sql: parts.map((p) => `(${p.sql})`).join(separator),
    params: parts.flatMap((p) => p.params),
  };
}
