/** runs: one row per attempt of a job. A rerun archives runs; nothing deletes them but `delete`. */
import type { JsonObject, JsonValue } from "../../model/json.ts";
import type { RunState } from "../../model/states.ts";
import type { Checkpoint, Run, RunError, RunMode } from "../../model/types.ts";
import { type DbRun, jsonParam, toRun } from "../rows.ts";
import { chunks, placeholders, type SqlClient, type SqlParam, type SqlType } from "../sql.ts";
import { updateFromValues } from "./batch.ts";
import { insertRows } from "./insert.ts";

export interface NewRun {
  jobId: number;
  state: RunState;
  mode: RunMode;
  worker: string | null;
  host?: string | null;
  launchDir?: string | null;
  leaseOwner?: string | null;
  leaseExpiresAt?: number | null;
  startedAt?: number | null;
}

/** The columns a new run is inserted with (claims add its id: queries/claim.ts). */
export const NEW_RUN_COLUMNS = [
  "job_id",
  "attempt",
  "state",
  "mode",
  "worker",
  "host",
  "launch_dir",
  "lease_owner",
  "lease_expires_at",
  "heartbeat_at",
  "started_at",
  "created_at",
  "updated_at",
] as const;

/** Inserts runs (attempt = previous attempts + 1); returns job id → run id. */
export async function insertRuns(
  c: SqlClient,
  runs: readonly NewRun[],
  now: number,
): Promise<Map<number, number>> {
  if (runs.length === 0) return new Map();
  const attempts = new Map<number, number>();
  for (const chunk of chunks(runs.map((r) => r.jobId))) {
    const rows = await c.all<{ job_id: number; n: number }>(
      `SELECT job_id, max(attempt) AS n FROM runs WHERE job_id IN (${placeholders(chunk.length)}) GROUP BY job_id`,
      chunk,
    );
    for (const r of rows) attempts.set(Number(r.job_id), Number(r.n));
  }
  const rows = await insertRows<{ id: number; job_id: number }>(
    c,
    "runs",
    NEW_RUN_COLUMNS,
    runs.map((r) => [
      r.jobId,
      (attempts.get(r.jobId) ?? 0) + 1,
      r.state,
      r.mode,
      r.worker,
      r.host ?? null,
      r.launchDir ?? null,
      r.leaseOwner ?? null,
      r.leaseExpiresAt ?? null,
      r.leaseOwner ? now : null,
      r.startedAt ?? null,
      now,
      now,
    ]),
    "id, job_id",
  );
  return new Map(rows.map((r) => [Number(r.job_id), Number(r.id)]));
}

export interface RunPatch {
  state?: RunState;
  host?: string | null;
  launchDir?: string | null;
  schedulerId?: string | null;
  schedulerState?: string | null;
  leaseOwner?: string | null;
  leaseExpiresAt?: number | null;
  heartbeatAt?: number | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  checkpoint?: Checkpoint | null;
  outputs?: JsonValue | null;
  action?: JsonObject | null;
  error?: RunError | null;
  exitCode?: number | null;
  archived?: boolean;
  forgotten?: boolean;
  problem?: string | null;
  problemCount?: number;
}

const RUN_COLUMNS: Record<keyof RunPatch, [string, "json" | "bool" | "plain"]> = {
  state: ["state", "plain"],
  host: ["host", "plain"],
  launchDir: ["launch_dir", "plain"],
  schedulerId: ["scheduler_id", "plain"],
  schedulerState: ["scheduler_state", "plain"],
  leaseOwner: ["lease_owner", "plain"],
  leaseExpiresAt: ["lease_expires_at", "plain"],
  heartbeatAt: ["heartbeat_at", "plain"],
  startedAt: ["started_at", "plain"],
  finishedAt: ["finished_at", "plain"],
  checkpoint: ["checkpoint", "json"],
  outputs: ["outputs", "json"],
  action: ["action", "json"],
  error: ["error", "json"],
  exitCode: ["exit_code", "plain"],
  archived: ["archived", "bool"],
  forgotten: ["forgotten", "bool"],
  problem: ["problem", "plain"],
  problemCount: ["problem_count", "plain"],
};

/** Run states a result may still finish (the guard of exactly-once collection). */
const FINISHABLE: readonly RunState[] = ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"];

/** Column types (0001_init.sql), for the batch update's casts on PostgreSQL. */
const RUN_COLUMN_TYPES: Record<keyof RunPatch, SqlType> = {
  state: "text",
  host: "text",
  launchDir: "text",
  schedulerId: "text",
  schedulerState: "text",
  leaseOwner: "text",
  leaseExpiresAt: "bigint",
  heartbeatAt: "bigint",
  startedAt: "bigint",
  finishedAt: "bigint",
  checkpoint: "json",
  outputs: "json",
  action: "json",
  error: "json",
  exitCode: "integer",
  archived: "smallint",
  forgotten: "smallint",
  problem: "text",
  problemCount: "integer",
};

function patchValue(key: keyof RunPatch, value: unknown): SqlParam {
  const kind = RUN_COLUMNS[key][1];
  return kind === "json" ? jsonParam(value) : kind === "bool" ? (value ? 1 : 0) : (value as SqlParam);
}

/** `SET` clauses and their parameters for a run patch (updated_at always). */
function patchSql(patch: RunPatch, now: number): { sets: string[]; params: SqlParam[] } {
  const sets: string[] = ["updated_at = ?"];
  const params: SqlParam[] = [now];
  for (const [key, value] of Object.entries(patch) as [keyof RunPatch, unknown][]) {
    if (value === undefined) continue;
    sets.push(`${RUN_COLUMNS[key][0]} = ?`);
    params.push(patchValue(key, value));
  }
  return { sets, params };
}

/** Conditions of a guarded run update: a late writer cannot overwrite a decision made meanwhile. */
export interface RunGuard {
  states?: readonly RunState[];
  archived?: boolean;
  /** Only while the lease is still this owner's (null: no owner) — a compare-and-set on the lease. */
  leaseOwner?: string | null;
}

/**
 * Updates runs; with `onlyIf`, only rows that still meet it. Returns the number of rows changed.
 */
export async function updateRuns(
  c: SqlClient,
  ids: readonly number[],
  patch: RunPatch,
  now: number,
  onlyIf?: RunGuard,
): Promise<number> {
  const { sets, params } = patchSql(patch, now);
  let changed = 0;
  for (const chunk of chunks(ids)) {
    let where = `id IN (${placeholders(chunk.length)})`;
    const whereParams: SqlParam[] = [...chunk];
    if (onlyIf?.states) {
      where += ` AND state IN (${placeholders(onlyIf.states.length)})`;
      whereParams.push(...onlyIf.states);
    }
    if (onlyIf?.archived !== undefined) {
      where += " AND archived = ?";
      whereParams.push(onlyIf.archived ? 1 : 0);
    }
    if (onlyIf?.leaseOwner !== undefined) {
      if (onlyIf.leaseOwner === null) where += " AND lease_owner IS NULL";
      else {
        where += " AND lease_owner = ?";
        whereParams.push(onlyIf.leaseOwner);
      }
    }
    changed += (await c.run(`UPDATE runs SET ${sets.join(", ")} WHERE ${where}`, [...params, ...whereParams]))
      .changes;
  }
  return changed;
}

export async function getRuns(c: SqlClient, ids: readonly number[]): Promise<Run[]> {
  const out: Run[] = [];
  for (const chunk of chunks(ids)) {
    const rows = await c.all<DbRun>(
      `SELECT * FROM runs WHERE id IN (${placeholders(chunk.length)}) ORDER BY id`,
      chunk,
    );
    out.push(...rows.map((r) => toRun(c.dialect, r)));
  }
  return out;
}

/** All runs of the jobs, oldest first (archived included unless asked otherwise). */
export async function runsOfJobs(
  c: SqlClient,
  jobIds: readonly number[],
  options: { includeArchived?: boolean } = {},
): Promise<Run[]> {
  const out: Run[] = [];
  const archived = options.includeArchived === false ? " AND archived = 0" : "";
  for (const chunk of chunks(jobIds)) {
    const rows = await c.all<DbRun>(
      `SELECT * FROM runs WHERE job_id IN (${placeholders(chunk.length)})${archived} ORDER BY job_id, id`,
      chunk,
    );
    out.push(...rows.map((r) => toRun(c.dialect, r)));
  }
  return out;
}

/** The current (latest, not archived) run of each job. */
export async function currentRuns(c: SqlClient, jobIds: readonly number[]): Promise<Map<number, Run>> {
  const out = new Map<number, Run>();
  for (const run of await runsOfJobs(c, jobIds, { includeArchived: false })) out.set(run.jobId, run);
  return out;
}

export interface RunQuery {
  states?: readonly RunState[];
  modes?: readonly RunMode[];
  workers?: readonly string[];
  leaseOwner?: string;
  leaseExpiredBefore?: number;
  includeArchived?: boolean;
  includeForgotten?: boolean;
  /** Only runs of jobs of these flows. */
  flowIds?: readonly number[];
  limit?: number;
}

export async function findRuns(c: SqlClient, q: RunQuery): Promise<Run[]> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  const inList = (column: string, values: readonly string[] | undefined) => {
    if (!values) return;
    where.push(values.length === 0 ? "1=0" : `${column} IN (${placeholders(values.length)})`);
    params.push(...values);
  };
  inList("state", q.states);
  inList("mode", q.modes);
  inList("worker", q.workers);
  if (q.leaseOwner !== undefined) {
    where.push("lease_owner = ?");
    params.push(q.leaseOwner);
  }
  if (q.leaseExpiredBefore !== undefined) {
    where.push("lease_expires_at IS NOT NULL AND lease_expires_at < ?");
    params.push(q.leaseExpiredBefore);
  }
  if (!q.includeArchived) where.push("archived = 0");
  if (!q.includeForgotten) where.push("forgotten = 0");
  if (q.flowIds) {
    where.push(
      q.flowIds.length === 0
        ? "1=0"
        : `job_id IN (SELECT id FROM jobs WHERE flow_id IN (${placeholders(q.flowIds.length)}))`,
    );
    params.push(...q.flowIds);
  }
  const rows = await c.all<DbRun>(
    `SELECT * FROM runs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`,
    [...params, q.limit ?? 1_000_000_000],
  );
  return rows.map((r) => toRun(c.dialect, r));
}

/** Extend the lease of every running run this owner holds (one statement per heartbeat). */
export async function renewLeases(
  c: SqlClient,
  owner: string,
  expiresAt: number,
  now: number,
): Promise<number> {
  return (
    await c.run(
      "UPDATE runs SET heartbeat_at = ?, lease_expires_at = ?, updated_at = ? WHERE lease_owner = ? AND state = 'RUNNING' AND archived = 0",
      [now, expiresAt, now, owner],
    )
  ).changes;
}

/** Archive every not-yet-archived run of the jobs (they stay readable in `jobs show --runs`). */
export async function archiveRuns(c: SqlClient, jobIds: readonly number[], now: number): Promise<number> {
  let n = 0;
  for (const chunk of chunks(jobIds)) {
    n += (
      await c.run(
        `UPDATE runs SET archived = 1, updated_at = ? WHERE archived = 0 AND job_id IN (${placeholders(chunk.length)})`,
        [now, ...chunk],
      )
    ).changes;
  }
  return n;
}

/**
 * Record a run's final state if it is still active and not archived; returns its job id, or
 * null when another collector got there first (or a rerun archived it). One statement: the
 * guard of exactly-once collection.
 */
export async function finishRun(
  c: SqlClient,
  runId: number,
  patch: RunPatch,
  now: number,
): Promise<number | null> {
  const { sets, params } = patchSql(patch, now);
  const row = await c.get<{ job_id: number }>(
    `UPDATE runs SET ${sets.join(", ")} WHERE id = ? AND archived = 0 AND state IN (${placeholders(FINISHABLE.length)}) RETURNING job_id`,
    [...params, runId, ...FINISHABLE],
  );
  return row ? Number(row.job_id) : null;
}

/**
 * finishRun for many runs at once, each with its own patch: one statement per few hundred runs
 * of the same patch shape. Returns run id → job id for the runs this call finished; a run
 * missing from the map was already collected or archived, exactly as finishRun's null.
 */
export async function finishRuns(
  c: SqlClient,
  items: readonly { runId: number; patch: RunPatch }[],
  now: number,
): Promise<Map<number, number>> {
  const byShape = new Map<string, { keys: (keyof RunPatch)[]; rows: SqlParam[][] }>();
  for (const { runId, patch } of items) {
    const keys = (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined).sort();
    const shape = keys.join(",");
    const group = byShape.get(shape) ?? { keys, rows: [] };
    byShape.set(shape, group);
    group.rows.push([runId, ...keys.map((k) => patchValue(k, patch[k]))]);
  }
  const finished = new Map<number, number>();
  for (const { keys, rows } of byShape.values()) {
    const returned = await updateFromValues<{ id: number; job_id: number }>(c, {
      table: "runs",
      key: "id",
      columns: keys.map((k) => ({ column: RUN_COLUMNS[k][0], type: RUN_COLUMN_TYPES[k] })),
      rows,
      sets: { sql: "updated_at = ?", params: [now] },
      where: { sql: `archived = 0 AND state IN (${placeholders(FINISHABLE.length)})`, params: FINISHABLE },
      returning: "id, job_id",
    });
    for (const r of returned) finished.set(Number(r.id), Number(r.job_id));
  }
  return finished;
}
