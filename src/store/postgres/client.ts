/**
 * PostgreSQL through `pg` (pure JavaScript). For teams, several login nodes and several
 * launchers or runners at once: claims use FOR UPDATE SKIP LOCKED, and a transaction that loses
 * a deadlock or serialization race is retried whole.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import { StoreError } from "../../model/errors.ts";
import { parseJson } from "../../model/json.ts";
import type { Db, RunResult, SqlClient, SqlParam } from "../sql.ts";
import { postgresDialect } from "./dialect.ts";

const RETRY_CODES = new Set(["40P01", "40001"]);
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);
const MAX_ATTEMPTS = 8;

/** Number `?` placeholders as $1, $2, … — skipping quoted strings and identifiers. */
const numbered = new Map<string, string>();
export function numberPlaceholders(sql: string): string {
  const cached = numbered.get(sql);
  if (cached !== undefined) return cached;
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  numbered.set(sql, out);
  return out;
}

function describePgError(e: unknown, where: string): StoreError {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? "";
  const unavailable =
    UNAVAILABLE_CODES.has(code) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|terminat|Connection/i.test(code + (err.message ?? ""));
  const hint = unavailable ? ` — is PostgreSQL at ${where} running and reachable?` : "";
  return new StoreError(`PostgreSQL: ${err.message ?? String(e)}${hint}`, {
    cause: e,
    retryable: unavailable || RETRY_CODES.has(code),
  });
}

function errorCode(e: unknown): string | undefined {
  return ((e as StoreError).cause as { code?: string } | undefined)?.code ?? (e as { code?: string }).code;
}

/** The connection itself is gone (terminated backend, server restart, network): not a SQL error. */
function isConnectionLoss(e: unknown): boolean {
  const code = errorCode(e) ?? "";
  if (UNAVAILABLE_CODES.has(code)) return true;
  const cause = (e as StoreError).cause as { message?: string } | undefined;
  const text = `${(e as Error)?.message ?? ""} ${cause?.message ?? ""}`;
  return /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|Client has encountered a connection error|not queryable/i.test(
    text,
  );
}

/**
 * Statements run as named prepared statements, so that PostgreSQL parses and plans each one
 * once per connection instead of on every call (`pg` prepares a name on a connection the first
 * time it is used there). Measured on a 200-link chain: 20 % less time waiting on the database
 * (about 4.1 → 3.3 ms per link). Bounded, because every name costs memory in every server
 * connection that used it: statements with few parameters (the per-job hot paths) and at most
 * MAX_NAMED texts per process; anything else runs unnamed as before.
 *
 * A name is a hash of the statement's text, so it means the same statement in every process and
 * every ferry version: behind a pooler that hands one server connection to several clients
 * (PgBouncer in transaction mode), a name another process prepared there is the same statement,
 * never another one run with this process's parameters.
 *
 * When the server's prepared statements are not what `pg` believes is prepared on the
 * connection — a pooler switched server connections ("prepared statement … does not exist" or
 * "… already exists"), DISCARD ALL, or a table changed shape behind `SELECT *` ("cached plan
 * must not change result type") — naming stops for this store, the query (or the whole
 * transaction) is retried unnamed, and that connection is not reused.
 */
const MAX_NAMED = 256;
const MAX_NAMED_PARAMS = 100;
const statementNames = new Map<string, string>();

/** Whether one open store (its pool) still names its statements. */
interface Naming {
  on: boolean;
}

function statementName(naming: Naming, text: string, params: number): string | undefined {
  if (!naming.on) return undefined;
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED && params <= MAX_NAMED_PARAMS) {
    name = `ferry_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * The connection's prepared statements are not what `pg` tracks: 26000 (does not exist),
 * 42P05 (already exists), 0A000 "cached plan must not change result type".
 */
function isPreparedMismatch(e: unknown): boolean {
  const code = errorCode(e);
  if (code === "26000" || code === "42P05") return true;
  return code === "0A000" && /cached plan/i.test((e as Error)?.message ?? "");
}

function values(params: readonly SqlParam[] | undefined): unknown[] {
  return (params ?? []).map((p) => (p === undefined ? null : typeof p === "bigint" ? p.toString() : p));
}

interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
  query(text: string): Promise<pg.QueryResult>;
}

class PgClient implements SqlClient {
  readonly dialect = postgresDialect;
  readonly #q: Queryable;
  readonly #where: string;
  readonly #naming: Naming;
  /** Outside a transaction (the pool): a mismatched named statement is retried at once, unnamed. */
  readonly #pooled: boolean;
  constructor(q: Queryable, where: string, naming: Naming, pooled: boolean) {
    this.#q = q;
    this.#where = where;
    this.#naming = naming;
    this.#pooled = pooled;
  }
  async #query(sql: string, params?: readonly SqlParam[]): Promise<pg.QueryResult> {
    const text = numberPlaceholders(sql);
    const v = values(params);
    try {
      return await this.#q.query({ name: statementName(this.#naming, text, v.length), text, values: v });
    } catch (e) {
      if (isPreparedMismatch(e)) {
        this.#naming.on = false;
        if (this.#pooled) {
          try {
            return await this.#q.query({ text, values: v });
          } catch (again) {
            throw describePgError(again, this.#where);
          }
        }
      }
      throw describePgError(e, this.#where);
    }
  }
  async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return (await this.#query(sql, params)).rows as T[];
  }
  async get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return (await this.#query(sql, params)).rows[0] as T | undefined;
  }
  async run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
    return { changes: (await this.#query(sql, params)).rowCount ?? 0 };
  }
  async exec(sql: string): Promise<void> {
    try {
      await this.#q.query(sql);
    } catch (e) {
      throw describePgError(e, this.#where);
    }
  }
}

// int8 (ids, counts, millisecond timestamps) as JS numbers: they stay far below 2^53.
// json and jsonb through parseJson, which keeps `1.0` a float (pg's default JSON.parse drops it).
const JSON_OIDS = new Set([114, 3802]);
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (v: string) => Number(v);
    if (JSON_OIDS.has(oid) && format !== "binary") return parseJson;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

class PgDb implements Db {
  readonly dialect = postgresDialect;
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #client: PgClient;
  readonly #where: string;
  readonly #naming: Naming = { on: true };

  constructor(url: string, schema: string | undefined) {
    const parsed = new URL(url);
    this.#where = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    this.description = `PostgreSQL ${this.#where}${schema ? ` (schema ${schema})` : ""}`;
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 4,
      types,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client that loses its connection (server restart) must not crash the process.
    this.#pool.on("error", () => {});
    // Nor a client being handed over: pg parses a whole socket read at once, so a terminated
    // backend's FATAL can be emitted right after the ReadyForQuery that handed a new client to
    // `transaction` — before its own listener exists (seen under pg_terminate_backend in a
    // loop: test/crash-postgres.test.ts). Errors still reach queries and the transaction.
    this.#pool.on("connect", (client) => client.on("error", () => {}));
    this.#client = new PgClient(this.#pool, this.#where, this.#naming, true);
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.#client.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.#client.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
    return this.#client.run(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.#client.exec(sql);
  }

  /**
   * One transaction on a checked-out client. The client gets an 'error' listener for as long as
   * it is checked out: a backend terminated while the transaction waits between two statements
   * (pg_terminate_backend, a restart, a failover) makes pg emit 'error' on the client, and
   * without a listener that event kills the process (exit 1, runs left RUNNING).
   *
   * Retried whole: deadlocks and serialization failures (as before), and a connection lost
   * before COMMIT was sent — the server rolled the transaction back, so running `fn` again is
   * safe. A connection lost during COMMIT leaves the outcome unknown: that is thrown as a
   * retryable StoreError, for callers whose steps are guarded (the lifecycle steps are).
   */
  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let conn: pg.PoolClient;
      try {
        conn = await this.#pool.connect();
      } catch (e) {
        throw describePgError(e, this.#where);
      }
      let lost: unknown = null;
      const onError = (e: unknown) => {
        lost ??= e;
      };
      conn.on("error", onError);
      let committing = false;
      let broken = false;
      try {
        await conn.query("BEGIN");
        const result = await fn(new PgClient(conn, this.#where, this.#naming, false));
        if (lost !== null) throw describePgError(lost, this.#where);
        committing = true;
        await conn.query("COMMIT");
        return result;
      } catch (e) {
        const connectionLost = lost !== null || isConnectionLoss(e);
        // this connection's prepared statements are not what pg tracks: do not hand it out again
        const stale = isPreparedMismatch(e);
        if (connectionLost || stale) broken = true;
        else {
          try {
            await conn.query("ROLLBACK");
          } catch {
            broken = true;
          }
        }
        if (connectionLost && committing) {
          throw new StoreError(
            `PostgreSQL: the connection to ${this.#where} was lost during COMMIT; whether the transaction was applied is unknown`,
            { cause: e, retryable: true },
          );
        }
        const code = errorCode(e);
        if ((connectionLost || stale || (code && RETRY_CODES.has(code))) && attempt < MAX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, (connectionLost ? 100 : 5) * attempt + Math.random() * 20));
          continue;
        }
        throw connectionLost && !(e instanceof StoreError) ? describePgError(e, this.#where) : e;
      } finally {
        conn.off("error", onError);
        // a client that lost its connection may still emit; the pool's listener is gone once released
        if (broken) conn.on("error", () => {});
        conn.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

export function openPostgres(url: string, schema?: string): Db {
  return new PgDb(url, schema);
}
