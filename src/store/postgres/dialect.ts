import type { Dialect } from "../sql.ts";

function pgPath(path: readonly (string | number)[]): string {
  const parts = path.map((p) => `"${String(p).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
  return `'{${parts.join(",").replaceAll("'", "''")}}'`;
}

export const postgresDialect: Dialect = {
  name: "postgres",
  // the client parses json/jsonb with model/json.ts's parseJson already (client.ts), which
  // keeps `1.0`; a string here is a JSON string value, not JSON text
  readJson(value) {
    return value;
  },
  jsonExtract(column, path) {
    return path.length === 0 ? column : `(${column} #> ${pgPath(path)})`;
  },
  jsonExtractText(column, path) {
    return `(${column} #>> ${pgPath(path)})`;
  },
  jsonTypeOf(column, path) {
    return `jsonb_typeof(${path.length === 0 ? column : `${column} #> ${pgPath(path)}`})`;
  },
  regexMatch(expr, flags) {
    return flags.includes("i") ? `(${expr} ~* ?)` : `(${expr} ~ ?)`;
  },
  skipLocked: "FOR UPDATE SKIP LOCKED",
  cast(expr, type) {
    return `CAST(${expr} AS ${type === "json" ? "jsonb" : type})`;
  },
};
