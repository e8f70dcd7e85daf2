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

/** Shell-style glob (`*`, `?`, `[abc]`) → an anchored regular expression source. */
export function globToRegex(glob: string): string {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) re += "\\[";
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replaceAll("\\", "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return `${re}$`;
}
