/**
 * Numbered plain-SQL migrations per dialect (`<dialect>/migrations/0001_name.sql`), applied in
 * one transaction that holds the database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
 * an advisory transaction lock), so two processes starting together apply each migration once.
 * A database newer than the code is refused, never "downgraded" (graphile-worker src/migrate.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../model/errors.ts";
import { codeFile } from "../package-files.ts";
import type { Db, SqlClient } from "./sql.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dialect: "sqlite" | "postgres"): Migration[] {
  const dir = codeFile(`store/${dialect}/migrations`);
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(join(dir, f), "utf8"),
    }));
}

/** A stable 31-bit key for pg_advisory_xact_lock, per schema. */
function lockKey(schema: string): number {
  let h = 0x6665;
  for (const ch of `ferry-migrate:${schema}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
}

async function applyPending(tx: SqlClient, migrations: Migration[], description: string): Promise<number[]> {
  await tx.exec(
    "CREATE TABLE IF NOT EXISTS ferry_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
  );
  const rows = await tx.all<{ version: number }>("SELECT version FROM ferry_migrations ORDER BY version");
  const applied = new Set(rows.map((r) => Number(r.version)));
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new StoreError(
      `${description} has schema version ${newest}, but this ferry only knows up to version ${known}: ` +
        "upgrade ferry to use this database (a newer ferry wrote it).",
    );
  }
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    await tx.exec(m.sql);
    await tx.run("INSERT INTO ferry_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
      m.version,
      m.name,
      Date.now(),
    ]);
    done.push(m.version);
  }
  return done;
}

/** Bring the database up to date; returns the versions applied now. */
export async function migrate(db: Db, options: { schema?: string } = {}): Promise<number[]> {
  const migrations = loadMigrations(db.dialect.name);
  return db.transaction(async (tx) => {
    if (db.dialect.name === "postgres") {
      const schema = options.schema ?? "public";
      await tx.get("SELECT pg_advisory_xact_lock(?)", [lockKey(schema)]);
      if (options.schema) await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    }
    return applyPending(tx, migrations, db.description);
  });
}

export function latestSchemaVersion(dialect: "sqlite" | "postgres"): number {
  return Math.max(0, ...loadMigrations(dialect).map((m) => m.version));
}
