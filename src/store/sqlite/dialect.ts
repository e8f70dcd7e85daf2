import { parseJson } from "../../model/json.ts";
import type { Dialect } from "../sql.ts";

function jsonPath(path: readonly (string | number)[]): string {
  let p = "$";
  for (const part of path) {
    p += typeof part === "number" ? `[${part}]` : `."${part.replaceAll('"', '\\"')}"`;
  }
  return `'${p.replaceAll("'", "''")}'`;
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  readJson(value) {
    return typeof value === "string" ? parseJson(value) : value;
  },
  jsonExtract(column, path) {
    return `json_extract(${column}, ${jsonPath(path)})`;
  },
  jsonExtractText(column, path) {
    return `CAST(json_extract(${column}, ${jsonPath(path)}) AS TEXT)`;
  },
  jsonTypeOf(column, path) {
    // json_type: null, true, false, integer, real, text, array, object (NULL when absent)
    return `(CASE json_type(${column}, ${jsonPath(path)}) WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' WHEN 'text' THEN 'string' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' ELSE json_type(${column}, ${jsonPath(path)}) END)`;
  },
  regexMatch(expr, flags) {
    return `ferry_regexp(?, ${expr}, '${flags.replaceAll("'", "")}')`;
  },
  skipLocked: "",
  cast(expr) {
    return expr;
  },
};
