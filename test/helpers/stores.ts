/**
 * One store suite, both dialects: `dialects()` yields a factory per available dialect that opens
 * a fresh, isolated store — a new SQLite file, or a new schema on PostgreSQL (dropped on dispose).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type DatabaseTarget, openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { componentEnabled, skipUnless } from "./components.ts";

export interface TestStore extends AsyncDisposable {
  store: Store;
  target: DatabaseTarget;
  /** A second, independent connection to the same database (another "process"). */
  reopen(): Promise<Store>;
}

export interface DialectCase {
  name: "sqlite" | "postgres";
  /** Skip message when the dialect is unavailable, else false. */
  skip: string | false;
  open(): Promise<TestStore>;
  /** A fresh target without opening it (for tests that spawn CLI processes). */
  newTarget(): Promise<{ target: DatabaseTarget; dispose(): Promise<void> }>;
}

export function tempDir(prefix = "ferry-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

async function newSqliteTarget() {
  const dir = tempDir();
  return {
    target: { kind: "sqlite", path: join(dir, "ferry.db") } as DatabaseTarget,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function newPostgresTarget() {
  const url = process.env.FERRY_TEST_PG_URL!;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  return {
    target: { kind: "postgres", url, schema } as DatabaseTarget,
    dispose: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

async function openCase(
  make: () => Promise<{ target: DatabaseTarget; dispose(): Promise<void> }>,
): Promise<TestStore> {
  const { target, dispose } = await make();
  const store = await openStore(target);
  const extra: Store[] = [];
  return {
    store,
    target,
    async reopen() {
      const s = await openStore(target);
      extra.push(s);
      return s;
    },
    async [Symbol.asyncDispose]() {
      for (const s of extra) await s.close();
      await store.close();
      await dispose();
    },
  };
}

export function dialects(): DialectCase[] {
  return [
    { name: "sqlite", skip: false, open: () => openCase(newSqliteTarget), newTarget: newSqliteTarget },
    {
      name: "postgres",
      skip: componentEnabled("postgres") ? false : skipUnless("postgres"),
      open: () => openCase(newPostgresTarget),
      newTarget: newPostgresTarget,
    },
  ];
}
