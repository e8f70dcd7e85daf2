/** Open a store from the project's database settings and bring its schema up to date. */
import { existsSync } from "node:fs";
import { StoreError } from "../model/errors.ts";
import type { DatabaseTarget } from "../model/types.ts";
import { migrate } from "./migrate.ts";
import type { Db } from "./sql.ts";
import { openSqlite } from "./sqlite/client.ts";
import { Store } from "./store.ts";

export type { DatabaseTarget } from "../model/types.ts";

export function describeTarget(t: DatabaseTarget): string {
  if (t.kind === "sqlite") return `SQLite ${t.path}`;
  const u = new URL(t.url);
  if (u.password) u.password = "****";
  return `PostgreSQL ${u.toString()}${t.schema ? ` (schema ${t.schema})` : ""}`;
}

/**
 * `create: false` refuses to create a missing SQLite file: a database that was moved or deleted
 * must not be silently replaced by an empty one (a `recover` would then "find" nothing and the
 * real results would look lost). Commands that only read or collect pass false; `add` passes true.
 */
export async function openStore(
  target: DatabaseTarget,
  options: { migrate?: boolean; create?: boolean } = {},
): Promise<Store> {
  if (
    target.kind === "sqlite" &&
    options.create === false &&
    target.path !== ":memory:" &&
    !existsSync(target.path)
  ) {
    throw new StoreError(
      `no database at ${target.path}: it is created by the first \`ferry add\`. If it was moved or deleted, put it back — ferry will not replace it with an empty one.`,
      { retryable: true },
    );
  }
  // the PostgreSQL driver (pg: about 10 MB of peak RSS) is loaded only for a PostgreSQL target
  const db: Db =
    target.kind === "sqlite"
      ? openSqlite(target.path)
      : (await import("./postgres/client.ts")).openPostgres(target.url, target.schema);
  try {
    if (options.migrate !== false) {
      await migrate(db, target.kind === "postgres" && target.schema ? { schema: target.schema } : {});
    }
  } catch (e) {
    await db.close();
    throw e;
  }
  return new Store(db);
}
