/**
 * SQLite through `node:sqlite` (built into Node ≥ 22.5, unflagged since 22.13).
 *
 * Why node:sqlite and not better-sqlite3: nothing to compile or download on a login node, no
 * native module tied to one Node ABI (better-sqlite3 13 segfaults when loaded by Node 20,
 * seen on this project's build machines), and it is fast enough — the store's hot paths are a handful of
 * prepared statements per job. WAL mode lets readers run beside the single writer; writers
 * take the lock up front (BEGIN IMMEDIATE) so two launchers never deadlock on a lock upgrade.
 *
 * The file must be on a local disk: SQLite's locking is unreliable on NFS/Lustre/GPFS.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { StoreError } from "../../model/errors.ts";
import { linearRegExp } from "../query/linear-regexp.ts";
import type { Db, RunResult, SqlClient, SqlParam } from "../sql.ts";
import { sqliteDialect } from "./dialect.ts";

/**
 * How long to keep retrying a busy database. The wait is asynchronous on purpose: node:sqlite is
 * synchronous, and SQLite's own busy_timeout would block the event loop (heartbeats, child
 * processes, and any other connection of the same process that holds the lock) while it waits.
 */
const BUSY_DEADLINE_MS = 30_000;

function isBusy(e: unknown): boolean {
  return /database is locked|SQLITE_BUSY|database table is locked/i.test((e as Error)?.message ?? "");
}

async function retryBusy<T>(fn: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_DEADLINE_MS;
  let wait = 1;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
      wait = Math.min(wait * 2, 50);
    }
  }
}

function bind(params: readonly SqlParam[]): (string | number | bigint | null)[] {
  return params.map((p) => (p === undefined ? null : typeof p === "boolean" ? (p ? 1 : 0) : p));
}

function describeSqliteError(e: unknown, file: string): StoreError {
  const err = e as { message?: string; errcode?: number; code?: string };
  const msg = err.message ?? String(e);
  const busy = isBusy(e);
  const hint = busy
    ? " — another ferry process held the database for too long; retrying usually helps"
    : /disk I\/O|unable to open|readonly|no such file/i.test(msg)
      ? ` — is ${file} on a local disk, and does it still exist? (SQLite must not live on NFS/Lustre)`
      : "";
  return new StoreError(`SQLite: ${msg}${hint}`, { cause: e, retryable: busy });
}

/**
 * A database file that is missing while its -wal or -shm is still there was moved or deleted
 * while a process held it open (SQLite removes both when the last connection closes cleanly),
 * and the -wal may hold its newest transactions. Creating a fresh file there would pair an empty
 * database with that journal and report success while the flows are elsewhere: refuse.
 */
function refuseOrphanedJournal(file: string): void {
  if (existsSync(file)) return;
  const left = ["-wal", "-shm"].map((x) => `${file}${x}`).filter((f) => existsSync(f));
  if (left.length === 0) return;
  throw new StoreError(
    `no database at ${file}, but ${left.join(" and ")} ${left.length > 1 ? "are" : "is"} still there: the database was moved or deleted while a ferry process (a launcher?) still had it open. Put it back (and let that process finish), or remove the leftover file${left.length > 1 ? "s" : ""} if the database is really gone — ferry will not create an empty database beside them.`,
  );
}

/** A promise chain that lets one async section use the connection at a time. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async lock<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

class SqliteConnection implements SqlClient {
  readonly dialect = sqliteDialect;
  readonly #db: DatabaseSync;
  readonly #file: string;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.#file = file;
  }

  #prepare(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  allSync<T>(sql: string, params: readonly SqlParam[] = []): T[] {
    try {
      return this.#prepare(sql).all(...bind(params)) as T[];
    } catch (e) {
      throw describeSqliteError(e, this.#file);
    }
  }

  runSync(sql: string, params: readonly SqlParam[] = []): RunResult {
    try {
      const r = this.#prepare(sql).run(...bind(params));
      return { changes: Number(r.changes) };
    } catch (e) {
      throw describeSqliteError(e, this.#file);
    }
  }

  execSync(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw describeSqliteError(e, this.#file);
    }
  }

  async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.allSync<T>(sql, params);
  }
  async get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.allSync<T>(sql, params)[0];
  }
  async run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
    return this.runSync(sql, params);
  }
  async exec(sql: string): Promise<void> {
    this.execSync(sql);
  }
}

class SqliteDb implements Db {
  readonly dialect = sqliteDialect;
  readonly description: string;
  readonly #raw: DatabaseSync;
  readonly #conn: SqliteConnection;
  readonly #mutex = new Mutex();
  #closed = false;

  constructor(file: string) {
    this.description = `SQLite ${file}`;
    if (file !== ":memory:") {
      refuseOrphanedJournal(file);
      mkdirSync(dirname(file), { recursive: true });
    }
    try {
      // a short blocking timeout only while opening (switching a new file to WAL needs the lock)
      this.#raw = new DatabaseSync(file, { timeout: 10_000 });
      this.#raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
      this.#raw.exec("PRAGMA busy_timeout = 0");
    } catch (e) {
      throw describeSqliteError(e, file);
    }
    // Flag `l` runs a pattern on V8's linear-time engine, so no pattern can hang the database:
    // with the backtracking engine `(.*)(.*)(.*)(.*)(.*)x` over 1 MB ran for minutes (issue #8).
    // query/regex.ts writes every pattern for it (UTF-16, no lookahead, well-formed text, which
    // stored text is) and leaves the flag off only for patterns without quantifier or
    // alternation, which backtrack in linear time anyway and faster.
    const regexCache = new Map<string, RegExp>();
    this.#raw.function(
      "ferry_regexp",
      { deterministic: true, varargs: false },
      (pattern: unknown, value: unknown, flags: unknown) => {
        if (value === null || value === undefined) return 0;
        const key = `${String(flags)}/${String(pattern)}`;
        let re = regexCache.get(key);
        if (!re) {
          const f = String(flags ?? "");
          re = f.includes("l") ? linearRegExp(String(pattern), f) : new RegExp(String(pattern), f);
          regexCache.set(key, re);
        }
        return re.test(String(value).toWellFormed()) ? 1 : 0;
      },
    );
    this.#conn = new SqliteConnection(this.#raw, file);
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.#mutex.lock(() => retryBusy(() => this.#conn.allSync<T>(sql, params)));
  }
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.#mutex.lock(() => retryBusy(() => this.#conn.allSync<T>(sql, params)[0]));
  }
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
    return this.#mutex.lock(() => retryBusy(() => this.#conn.runSync(sql, params)));
  }
  exec(sql: string): Promise<void> {
    return this.#mutex.lock(() => retryBusy(() => this.#conn.execSync(sql)));
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.#mutex.lock(async () => {
      await retryBusy(() => this.#conn.execSync("BEGIN IMMEDIATE"));
      try {
        const result = await fn(this.#conn);
        this.#conn.execSync("COMMIT");
        return result;
      } catch (e) {
        try {
          this.#conn.execSync("ROLLBACK");
        } catch {
          // the transaction may already be gone (e.g. the file disappeared); the original error matters
        }
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#mutex.lock(async () => this.#raw.close());
  }
}

export function openSqlite(file: string): Db {
  return new SqliteDb(file);
}
