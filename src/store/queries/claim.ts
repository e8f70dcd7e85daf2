/**
 * Claim READY jobs atomically, by priority then age, never twice: the pull launcher takes them
 * straight to RUNNING with a lease; offline/managed submission reserves them (RESERVED).
 *
 * SQLite: the caller's BEGIN IMMEDIATE transaction already excludes every other writer.
 * PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers take different rows instead of
 * queueing behind each other (Balsam's session acquire, reference/peers.md §A.2).
 */
import type { Job, RunMode } from "../../model/types.ts";
import { placeholders, type SqlClient, type SqlParam } from "../sql.ts";
import { getJobs } from "./jobs.ts";
import { insertRuns } from "./runs.ts";
import { transitionJobs } from "./transitions.ts";

export interface ClaimOptions {
  limit: number;
  /** The claiming worker; jobs pinned to another worker are not taken. */
  worker: string | null;
  /** When non-empty, only jobs of these categories; when empty, any job. */
  categories: readonly string[];
  to: "RUNNING" | "RESERVED";
  mode: RunMode;
  /** Lease holder and expiry (pull mode): an expired lease marks the run as lost. */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  host: string | null;
  /** Restrict the claim to these jobs (e.g. `qlaunch --reserve --id`). */
  jobIds?: readonly number[];
  /** Restrict the claim to jobs of these flows (`ferry launch --flow`). */
  flowIds?: readonly number[];
  now: number;
}

export interface Claimed {
  job: Job;
  runId: number;
}

export async function claimReady(c: SqlClient, o: ClaimOptions): Promise<Claimed[]> {
  if (o.limit <= 0) return [];
  const where = ["state = 'READY'", "(worker IS NULL OR worker = ?)"];
  const params: SqlParam[] = [o.worker];
  if (o.categories.length > 0) {
    where.push(`category IN (${placeholders(o.categories.length)})`);
    params.push(...o.categories);
  }
  if (o.jobIds) {
    if (o.jobIds.length === 0) return [];
    where.push(`id IN (${placeholders(o.jobIds.length)})`);
    params.push(...o.jobIds);
  }
  if (o.flowIds) {
    if (o.flowIds.length === 0) return [];
    where.push(`flow_id IN (${placeholders(o.flowIds.length)})`);
    params.push(...o.flowIds);
  }
  const rows = await c.all<{ id: number }>(
    `SELECT id FROM jobs WHERE ${where.join(" AND ")} ORDER BY priority DESC, id LIMIT ? ${c.dialect.skipLocked}`,
    [...params, o.limit],
  );
  const ids = rows.map((r) => Number(r.id));
  if (ids.length === 0) return [];
  const runIds = await insertRuns(
    c,
    ids.map((jobId) => ({
      jobId,
      state: o.to,
      mode: o.mode,
      worker: o.worker,
      host: o.host,
      leaseOwner: o.leaseOwner,
      leaseExpiresAt: o.leaseExpiresAt,
      startedAt: o.to === "RUNNING" ? o.now : null,
    })),
    o.now,
  );
  await transitionJobs(c, ids, {
    from: ["READY"],
    to: o.to,
    reason:
      o.to === "RUNNING"
        ? `claimed by ${o.leaseOwner ?? o.worker ?? "a launcher"}`
        : `reserved for ${o.worker}`,
    now: o.now,
    runId: runIds,
  });
  const jobs = await getJobs(c, ids);
  const order = new Map(ids.map((id, i) => [id, i]));
  jobs.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return jobs.map((job) => ({ job, runId: runIds.get(job.id)! }));
}

/** How many READY jobs this worker could claim now. */
export async function countClaimable(
  c: SqlClient,
  worker: string | null,
  categories: readonly string[],
  flowIds?: readonly number[],
): Promise<number> {
  const params: SqlParam[] = [worker];
  let sql = "SELECT count(*) AS n FROM jobs WHERE state = 'READY' AND (worker IS NULL OR worker = ?)";
  if (categories.length > 0) {
    sql += ` AND category IN (${placeholders(categories.length)})`;
    params.push(...categories);
  }
  if (flowIds) {
    sql += flowIds.length === 0 ? " AND 1=0" : ` AND flow_id IN (${placeholders(flowIds.length)})`;
    params.push(...flowIds);
  }
  return Number((await c.get<{ n: number }>(sql, params))?.n ?? 0);
}
