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
  /**
   * Jobs found in one of `through.from` first move to `through.to` (their own event, with this
   * reason), then on to `to` — under the same row lock, in the same transaction.
   */
  through?: { from: readonly JobState[]; to: JobState; reason: string };
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
  const sorted = [...ids].sort((a, b) => a - b);
  const via = options.through;
  if (c.dialect.name !== "postgres") return lockThenMove(c, sorted, options);
  // PostgreSQL: lock, move and write the history in one statement for the jobs that need no
  // lift (all of them, on a pull launcher's hot path); the others as below
  const direct = options.from.filter((s) => !via?.from.includes(s));
  const moved = await lockAndMovePostgres(c, sorted, direct, options);
  if (!via) return moved;
  const done = new Set(moved.map((m) => m.id));
  const rest = sorted.filter((id) => !done.has(id));
  if (rest.length === 0) return moved;
  return [...moved, ...(await lockThenMove(c, rest, options))].sort((a, b) => a.id - b.id);
}

/** Read the jobs' states under a row lock, then move those in `from` (through `through`). */
async function lockThenMove(
  c: SqlClient,
  sorted: readonly number[],
  options: TransitionOptions,
): Promise<{ id: number; from: JobState }[]> {
  const lock = c.dialect.name === "postgres" ? " FOR UPDATE" : "";
  const via = options.through;
  const states = [...new Set([...options.from, ...(via?.from ?? [])])];
  const picked: { id: number; from: JobState }[] = [];
  for (const chunk of chunks(sorted)) {
    const rows = await c.all<{ id: number; state: string }>(
      `SELECT id, state FROM jobs WHERE id IN (${placeholders(chunk.length)}) AND state IN (${placeholders(states.length)}) ORDER BY id${lock}`,
      [...chunk, ...states],
    );
    for (const r of rows) picked.push({ id: Number(r.id), from: r.state as JobState });
  }
  if (via) {
    const lifted = new Set(
      (
        await moveJobs(
          c,
          picked.filter((p) => via.from.includes(p.from)),
          { ...options, ...via },
        )
      ).map((m) => m.id),
    );
    const onward = picked
      .map((p) => (lifted.has(p.id) ? { id: p.id, from: via.to } : p))
      .filter((p) => options.from.includes(p.from));
    return moveJobs(c, onward, options);
  }
  return moveJobs(c, picked, options);
}

/**
 * PostgreSQL: the jobs among `sorted` in one of `from` are locked (in id order), moved to
 * `options.to` and given their history rows, in one statement per chunk. The state table is
 * checked on what moved; a forbidden transition throws, and the caller's transaction rolls back.
 */
async function lockAndMovePostgres(
  c: SqlClient,
  sorted: readonly number[],
  from: readonly JobState[],
  options: TransitionOptions,
): Promise<{ id: number; from: JobState }[]> {
  if (from.length === 0) return [];
  const perJob = options.runId instanceof Map ? options.runId : null;
  const single: number | null = options.runId instanceof Map ? null : (options.runId ?? null);
  const moved: { id: number; from: JobState }[] = [];
  for (const chunk of chunks(sorted, 300)) {
    const runs = perJob
      ? ` LEFT JOIN (VALUES ${chunk.map(() => "(CAST(? AS bigint), CAST(? AS bigint))").join(", ")}) AS r (job_id, run_id) ON r.job_id = u.id`
      : "";
    const rows = await c.all<{ id: number; from_state: string }>(
      `WITH o AS (SELECT id, state FROM jobs WHERE id IN (${placeholders(chunk.length)}) AND state IN (${placeholders(from.length)}) ORDER BY id FOR UPDATE),
       u AS (UPDATE jobs SET state = CAST(? AS text), updated_at = CAST(? AS bigint) FROM o WHERE jobs.id = o.id
             RETURNING jobs.id, o.state AS from_state),
       e AS (INSERT INTO job_events (job_id, run_id, from_state, to_state, at, reason)
             SELECT u.id, ${perJob ? "r.run_id" : "CAST(? AS bigint)"}, u.from_state, CAST(? AS text), CAST(? AS bigint), CAST(? AS text)
             FROM u${runs} ORDER BY u.id)
       SELECT id, from_state FROM u ORDER BY id`,
      [
        ...chunk,
        ...from,
        options.to,
        options.now,
        ...(perJob ? [] : [single]),
        options.to,
        options.now,
        options.reason,
        ...(perJob ? chunk.flatMap((id) => [id, perJob.get(id) ?? null]) : []),
      ],
    );
    for (const r of rows) moved.push({ id: Number(r.id), from: r.from_state as JobState });
  }
  for (const m of moved) assertTransition(m.from, options.to, m.id);
  return moved;
}

/**
 * Moves jobs whose current state this transaction has already read under a row lock (a
 * `SELECT … FOR UPDATE`, or an `UPDATE … RETURNING` of the same rows on PostgreSQL; SQLite's
 * transaction holds the writer lock): the state and one job_events row each. On PostgreSQL in
 * the one statement lockAndMovePostgres writes (its lock is already held).
 */
async function moveJobs(
  c: SqlClient,
  picked: readonly { id: number; from: JobState }[],
  options: TransitionOptions,
): Promise<{ id: number; from: JobState }[]> {
  if (picked.length === 0) return [];
  for (const p of picked) assertTransition(p.from, options.to, p.id);
  if (c.dialect.name === "postgres") {
    // the same one statement as an unlocked move: the row lock it takes is already held
    const ids = picked.map((p) => p.id).sort((x, y) => x - y);
    return lockAndMovePostgres(c, ids, [...new Set(picked.map((p) => p.from))], options);
  }
  for (const chunk of chunks(picked)) {
    await c.run(`UPDATE jobs SET state = ?, updated_at = ? WHERE id IN (${placeholders(chunk.length)})`, [
      options.to,
      options.now,
      ...chunk.map((p) => p.id),
    ]);
  }
  const runFor = (id: number): number | null =>
    options.runId instanceof Map ? (options.runId.get(id) ?? null) : (options.runId ?? null);
  await insertEvents(
    c,
    picked.map((m) => ({
      jobId: m.id,
      runId: runFor(m.id),
      from: m.from,
      to: options.to,
      reason: options.reason,
    })),
    options.now,
  );
  return [...picked];
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
  // One statement per chunk of parents: decrement, and read each child's state and count back
  // from the rows it locked (was: count the edges, decrement, read the ready ones — three round
  // trips per completion on PostgreSQL). A child seen in several chunks keeps its last values.
  const onlyAllowing =
    outcome === "FAILED" ? " AND (jobs.allow_failed_parents = 1 OR jobs.on_missing_reference = 'null')" : "";
  const children = new Map<number, { state: string; unfinished: number }>();
  for (const chunk of chunks(parentIds)) {
    const rows = await c.all<{ id: number; state: string; unfinished_parents: number }>(
      `UPDATE jobs SET unfinished_parents = jobs.unfinished_parents - d.n
       FROM (SELECT child_id, count(*) AS n FROM edges WHERE parent_id IN (${placeholders(chunk.length)}) GROUP BY child_id) d
       WHERE jobs.id = d.child_id${onlyAllowing}
       RETURNING jobs.id, jobs.state, jobs.unfinished_parents`,
      chunk,
    );
    for (const r of rows)
      children.set(Number(r.id), { state: r.state, unfinished: Number(r.unfinished_parents) });
  }
  const ready = [...children]
    .filter(([, ch]) => ch.state === "WAITING" && ch.unfinished <= 0)
    .map(([id]) => ({ id, from: "WAITING" as const }))
    .sort((a, b) => a.id - b.id);
  const moved = await moveJobs(c, ready, { from: ["WAITING"], to: "READY", reason: "parents finished", now });
  return moved.map((m) => m.id);
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
