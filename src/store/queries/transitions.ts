/**
 * Job state transitions. Every change goes through here: it checks the transition table
 * (model/states.ts), writes the new state and one job_events row per job, in the caller's
 * transaction.
 */
import { assertTransition, type JobState } from "../../model/states.ts";
import { chunks, placeholders, type SqlClient } from "../sql.ts";
import { insertEvents } from "./events.ts";

export interface TransitionOptions {
  /** Only jobs currently in one of these states move; others are left alone and not returned. */
  from: readonly JobState[];
  to: JobState;
  reason: string | null;
  now: number;
  /** Run id recorded in each job's event (one for all, or per job). */
  runId?: number | null | Map<number, number>;
}

/**
 * Moves the jobs among `ids` whose state is in `from` to `to`. Returns the jobs that moved with
 * the state they left. Rows are locked (PostgreSQL) before they are checked.
 */
export async function transitionJobs(
  c: SqlClient,
  ids: readonly number[],
  options: TransitionOptions,
): Promise<{ id: number; from: JobState }[]> {
  if (ids.length === 0 || options.from.length === 0) return [];
  const lock = c.dialect.name === "postgres" ? " FOR UPDATE" : "";
  const moved: { id: number; from: JobState }[] = [];
  for (const chunk of chunks([...ids].sort((a, b) => a - b))) {
    const rows = await c.all<{ id: number; state: string }>(
      `SELECT id, state FROM jobs WHERE id IN (${placeholders(chunk.length)}) AND state IN (${placeholders(options.from.length)}) ORDER BY id${lock}`,
      [...chunk, ...options.from],
    );
    if (rows.length === 0) continue;
    const picked = rows.map((r) => ({ id: Number(r.id), from: r.state as JobState }));
    for (const p of picked) assertTransition(p.from, options.to, p.id);
    await c.run(`UPDATE jobs SET state = ?, updated_at = ? WHERE id IN (${placeholders(picked.length)})`, [
      options.to,
      options.now,
      ...picked.map((p) => p.id),
    ]);
    moved.push(...picked);
  }
  const runFor = (id: number): number | null =>
    options.runId instanceof Map ? (options.runId.get(id) ?? null) : (options.runId ?? null);
  await insertEvents(
    c,
    moved.map((m) => ({
      jobId: m.id,
      runId: runFor(m.id),
      from: m.from,
      to: options.to,
      reason: options.reason,
    })),
    options.now,
  );
  return moved;
}

/**
 * A parent finished: decrement its children's count of unfinished parents — every child when
 * the parent COMPLETED, only children that run after failed parents (allowFailedParents, or
 * onMissingReference "null") when it FAILED — and move
 * children that reached zero from WAITING to READY. Touches only the children (cost grows with
 * edges, not with the size of the flow). Returns the ids promoted to READY.
 */
export async function releaseChildren(
  c: SqlClient,
  parentIds: readonly number[],
  outcome: "COMPLETED" | "FAILED",
  now: number,
): Promise<number[]> {
  if (parentIds.length === 0) return [];
  const decrements = new Map<number, number>();
  for (const chunk of chunks(parentIds)) {
    const onlyAllowing =
      outcome === "FAILED" ? " AND (ch.allow_failed_parents = 1 OR ch.on_missing_reference = 'null')" : "";
    const rows = await c.all<{ child_id: number; n: number }>(
      `SELECT e.child_id, count(*) AS n FROM edges e JOIN jobs ch ON ch.id = e.child_id
       WHERE e.parent_id IN (${placeholders(chunk.length)})${onlyAllowing} GROUP BY e.child_id`,
      chunk,
    );
    for (const r of rows) {
      const id = Number(r.child_id);
      decrements.set(id, (decrements.get(id) ?? 0) + Number(r.n));
    }
  }
  if (decrements.size === 0) return [];
  const byAmount = new Map<number, number[]>();
  for (const [id, n] of decrements) byAmount.set(n, [...(byAmount.get(n) ?? []), id]);
  for (const [n, ids] of byAmount) {
    for (const chunk of chunks(ids.sort((a, b) => a - b))) {
      await c.run(
        `UPDATE jobs SET unfinished_parents = unfinished_parents - ? WHERE id IN (${placeholders(chunk.length)})`,
        [n, ...chunk],
      );
    }
  }
  return promoteReady(c, [...decrements.keys()], now);
}

/** WAITING jobs among `ids` whose parents are all done → READY. Returns the promoted ids. */
export async function promoteReady(c: SqlClient, ids: readonly number[], now: number): Promise<number[]> {
  const ready: number[] = [];
  for (const chunk of chunks(ids)) {
    const rows = await c.all<{ id: number }>(
      `SELECT id FROM jobs WHERE id IN (${placeholders(chunk.length)}) AND state = 'WAITING' AND unfinished_parents <= 0`,
      chunk,
    );
    ready.push(...rows.map((r) => Number(r.id)));
  }
  const moved = await transitionJobs(c, ready, {
    from: ["WAITING"],
    to: "READY",
    reason: "parents finished",
    now,
  });
  return moved.map((m) => m.id);
}

/** READY jobs among `ids` that have unfinished parents again (after a graph edit) → WAITING. */
export async function demoteWaiting(c: SqlClient, ids: readonly number[], now: number): Promise<number[]> {
  const back: number[] = [];
  for (const chunk of chunks(ids)) {
    const rows = await c.all<{ id: number }>(
      `SELECT id FROM jobs WHERE id IN (${placeholders(chunk.length)}) AND state = 'READY' AND unfinished_parents > 0`,
      chunk,
    );
    back.push(...rows.map((r) => Number(r.id)));
  }
  const moved = await transitionJobs(c, back, { from: ["READY"], to: "WAITING", reason: "new parents", now });
  return moved.map((m) => m.id);
}
