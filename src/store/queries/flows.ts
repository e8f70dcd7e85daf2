/** flows: insert, read, and the per-state job counts the flow state is derived from. */
import type { JsonObject } from "../../model/json.ts";
import type { JobState } from "../../model/states.ts";
import type { Flow } from "../../model/types.ts";
import { type DbFlow, jsonParam, toFlow } from "../rows.ts";
import { placeholders, type SqlClient } from "../sql.ts";

/** Inserts a flow; returns its id. */
export async function insertFlow(
  c: SqlClient,
  name: string,
  metadata: JsonObject,
  now: number,
): Promise<number> {
  const row = await c.get<{ id: number }>(
    "INSERT INTO flows (name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
    [name, jsonParam(metadata), now, now],
  );
  return Number(row!.id);
}

export async function getFlows(c: SqlClient, ids: readonly number[]): Promise<Flow[]> {
  if (ids.length === 0) return [];
  const rows = await c.all<DbFlow>(
    `SELECT * FROM flows WHERE id IN (${placeholders(ids.length)}) ORDER BY id`,
    [...ids],
  );
  return rows.map((r) => toFlow(c.dialect, r));
}

/** Flows, newest first; with `ids`, only those. */
export async function listFlows(
  c: SqlClient,
  options: { limit?: number; ids?: readonly number[] },
): Promise<Flow[]> {
  if (options.ids) return getFlows(c, options.ids);
  const rows = await c.all<DbFlow>("SELECT * FROM flows ORDER BY id DESC LIMIT ?", [
    options.limit ?? 1_000_000,
  ]);
  return rows.map((r) => toFlow(c.dialect, r));
}

export async function touchFlows(c: SqlClient, ids: readonly number[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await c.run(`UPDATE flows SET updated_at = ? WHERE id IN (${placeholders(ids.length)})`, [now, ...ids]);
}

/** Job counts per state for each flow (index-only on jobs_flow_state). */
export async function flowStateCounts(
  c: SqlClient,
  flowIds: readonly number[],
): Promise<Map<number, Partial<Record<JobState, number>>>> {
  const out = new Map<number, Partial<Record<JobState, number>>>();
  if (flowIds.length === 0) return out;
  const rows = await c.all<{ flow_id: number; state: string; n: number }>(
    `SELECT flow_id, state, count(*) AS n FROM jobs WHERE flow_id IN (${placeholders(flowIds.length)}) GROUP BY flow_id, state`,
    [...flowIds],
  );
  for (const r of rows) {
    const id = Number(r.flow_id);
    const counts = out.get(id) ?? {};
    counts[r.state as JobState] = Number(r.n);
    out.set(id, counts);
  }
  return out;
}

/**
 * FAILED jobs that block their flow: a failed job is "absorbed" only when it has children and
 * every child runs after failed parents (allowFailedParents, or onMissingReference "null").
 * Returns the count per flow.
 */
export async function blockingFailures(
  c: SqlClient,
  flowIds: readonly number[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (flowIds.length === 0) return out;
  const rows = await c.all<{ flow_id: number; n: number }>(
    `SELECT j.flow_id, count(*) AS n FROM jobs j
     WHERE j.flow_id IN (${placeholders(flowIds.length)}) AND j.state = 'FAILED'
       AND (NOT EXISTS (SELECT 1 FROM edges e WHERE e.parent_id = j.id)
            OR EXISTS (SELECT 1 FROM edges e JOIN jobs ch ON ch.id = e.child_id
                       WHERE e.parent_id = j.id AND ch.allow_failed_parents = 0
                         AND ch.on_missing_reference <> 'null'))
     GROUP BY j.flow_id`,
    [...flowIds],
  );
  for (const r of rows) out.set(Number(r.flow_id), Number(r.n));
  return out;
}

export async function deleteFlows(c: SqlClient, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  // Explicit deletes in dependency order: SQLite's ON DELETE CASCADE needs foreign_keys=ON per
  // connection, and being explicit keeps both dialects identical.
  const list = placeholders(ids.length);
  const jobIds = `SELECT id FROM jobs WHERE flow_id IN (${list})`;
  await c.run(`DELETE FROM job_events WHERE job_id IN (${jobIds})`, [...ids]);
  await c.run(`DELETE FROM runs WHERE job_id IN (${jobIds})`, [...ids]);
  await c.run(`DELETE FROM edges WHERE parent_id IN (${jobIds}) OR child_id IN (${jobIds})`, [
    ...ids,
    ...ids,
  ]);
  await c.run(`DELETE FROM jobs WHERE flow_id IN (${list})`, [...ids]);
  return (await c.run(`DELETE FROM flows WHERE id IN (${list})`, [...ids])).changes;
}
