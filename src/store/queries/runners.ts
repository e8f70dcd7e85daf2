/**
 * runners and runner_workers: the runner daemon's lease rows. A runner is live while its
 * heartbeat is younger than the lease period; a worker is driven by the runner whose lease on its
 * row has not expired. Every take is one conditional statement, so two runners racing for the
 * same worker (or for the only runner slot of a SQLite project) never both win.
 */
import type { SqlClient } from "../sql.ts";

export interface DbRunner {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  stopRequested: boolean;
  stoppedAt: number | null;
  logPath: string | null;
}

export type WorkerRunState = "ok" | "backoff" | "unreachable" | "needs-login";

export interface DbRunnerWorker {
  worker: string;
  runnerId: string | null;
  leaseExpiresAt: number | null;
  state: WorkerRunState;
  failures: number;
  lastError: string | null;
  lastCycleAt: number | null;
  nextCycleAt: number | null;
  updatedAt: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function runnerRow(r: Record<string, unknown>): DbRunner {
  return {
    id: String(r.id),
    host: String(r.host),
    pid: Number(r.pid),
    startedAt: Number(r.started_at),
    heartbeatAt: Number(r.heartbeat_at),
    stopRequested: Number(r.stop_requested) !== 0,
    stoppedAt: num(r.stopped_at),
    logPath: r.log_path === null || r.log_path === undefined ? null : String(r.log_path),
  };
}

function workerRow(r: Record<string, unknown>): DbRunnerWorker {
  return {
    worker: String(r.worker),
    runnerId: r.runner_id === null || r.runner_id === undefined ? null : String(r.runner_id),
    leaseExpiresAt: num(r.lease_expires_at),
    state: String(r.state) as WorkerRunState,
    failures: Number(r.failures),
    lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
    lastCycleAt: num(r.last_cycle_at),
    nextCycleAt: num(r.next_cycle_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Runners that have not stopped, live ones (heartbeat within `leaseMs`) and dead ones alike. */
export async function listRunners(c: SqlClient): Promise<DbRunner[]> {
  const rows = await c.all("SELECT * FROM runners WHERE stopped_at IS NULL ORDER BY started_at");
  return rows.map(runnerRow);
}

export async function getRunner(c: SqlClient, id: string): Promise<DbRunner | undefined> {
  const r = await c.get("SELECT * FROM runners WHERE id = ?", [id]);
  return r ? runnerRow(r) : undefined;
}

export async function insertRunner(
  c: SqlClient,
  r: { id: string; host: string; pid: number; now: number; logPath: string | null },
): Promise<void> {
  await c.run(
    "INSERT INTO runners (id, host, pid, started_at, heartbeat_at, stop_requested, log_path) VALUES (?, ?, ?, ?, ?, 0, ?)",
    [r.id, r.host, r.pid, r.now, r.now, r.logPath],
  );
}

/** Refresh a runner's heartbeat; returns its row (with the stop flag), or undefined when gone. */
export async function heartbeatRunner(c: SqlClient, id: string, now: number): Promise<DbRunner | undefined> {
  const r = await c.get(
    "UPDATE runners SET heartbeat_at = ? WHERE id = ? AND stopped_at IS NULL RETURNING *",
    [now, id],
  );
  return r ? runnerRow(r) : undefined;
}

/** Ask runners to stop (all of them, or one): returns how many were asked. */
export async function requestRunnerStop(c: SqlClient, id: string | null): Promise<number> {
  const r =
    id === null
      ? await c.run("UPDATE runners SET stop_requested = 1 WHERE stopped_at IS NULL")
      : await c.run("UPDATE runners SET stop_requested = 1 WHERE stopped_at IS NULL AND id = ?", [id]);
  return r.changes;
}

/** A runner has ended (cleanly, or found dead by its successor): its worker leases go too. */
export async function markRunnerStopped(c: SqlClient, id: string, now: number): Promise<void> {
  await c.run("UPDATE runners SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL", [now, id]);
  await c.run(
    "UPDATE runner_workers SET runner_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE runner_id = ?",
    [now, id],
  );
}

/**
 * Take (or renew) the lease on `worker` for `runnerId` until `expiresAt`: granted when the row is
 * free, already ours, or its lease has expired. Returns whether this runner drives the worker now.
 */
export async function takeWorkerLease(
  c: SqlClient,
  worker: string,
  runnerId: string,
  now: number,
  expiresAt: number,
): Promise<boolean> {
  const row = await c.get(
    "INSERT INTO runner_workers (worker, runner_id, lease_expires_at, updated_at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (worker) DO UPDATE SET runner_id = excluded.runner_id, lease_expires_at = excluded.lease_expires_at, updated_at = excluded.updated_at " +
      "WHERE runner_workers.runner_id IS NULL OR runner_workers.runner_id = excluded.runner_id OR runner_workers.lease_expires_at < ? " +
      "RETURNING worker",
    [worker, runnerId, expiresAt, now, now],
  );
  return row !== undefined;
}

export interface WorkerStatePatch {
  state: WorkerRunState;
  failures: number;
  lastError: string | null;
  lastCycleAt: number;
  nextCycleAt: number;
}

/** What the runner holding `worker`'s lease saw in its last cycle (only while it holds it). */
export async function recordWorkerState(
  c: SqlClient,
  worker: string,
  runnerId: string,
  p: WorkerStatePatch,
  now: number,
): Promise<boolean> {
  const r = await c.run(
    "UPDATE runner_workers SET state = ?, failures = ?, last_error = ?, last_cycle_at = ?, next_cycle_at = ?, updated_at = ? WHERE worker = ? AND runner_id = ?",
    [p.state, p.failures, p.lastError, p.lastCycleAt, p.nextCycleAt, now, worker, runnerId],
  );
  return r.changes > 0;
}

export async function listRunnerWorkers(c: SqlClient): Promise<DbRunnerWorker[]> {
  const rows = await c.all("SELECT * FROM runner_workers ORDER BY worker");
  return rows.map(workerRow);
}

/** Give a worker's lease back (another runner takes it at its next look). */
export async function releaseWorkerLease(
  c: SqlClient,
  worker: string,
  runnerId: string,
  now: number,
): Promise<boolean> {
  const r = await c.run(
    "UPDATE runner_workers SET runner_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE worker = ? AND runner_id = ?",
    [now, worker, runnerId],
  );
  return r.changes > 0;
}

/**
 * Extend the lease on the runs a runner has claimed but not yet staged (RESERVED): while it lives
 * they are its own; once it stops renewing (SIGKILL), another runner adopts them after
 * `expiresAt` — not after offline mode's ten minutes. STAGED runs are not renewed here: the
 * submit step renews each one just before submitting it, and one whose submission's outcome is
 * unknown must be adopted (and looked up in the queue) once its lease expires.
 */
export async function renewRunnerClaims(
  c: SqlClient,
  owner: string,
  expiresAt: number,
  now: number,
): Promise<number> {
  const r = await c.run(
    "UPDATE runs SET lease_expires_at = ?, updated_at = ? WHERE lease_owner = ? AND state = 'RESERVED' AND archived = 0",
    [expiresAt, now, owner],
  );
  return r.changes;
}

/** Open a runner's row again (it was closed by another runner while this one was silent). */
export async function reviveRunner(c: SqlClient, id: string, now: number): Promise<boolean> {
  const r = await c.run(
    "UPDATE runners SET stopped_at = NULL, heartbeat_at = ? WHERE id = ? AND stop_requested = 0",
    [now, id],
  );
  return r.changes > 0;
}
