/** job_events: one row per job state transition, written in the transition's transaction. */
import type { JobState } from "../../model/states.ts";
import type { JobEvent } from "../../model/types.ts";
import { type DbJobEvent, toJobEvent } from "../rows.ts";
import type { SqlClient } from "../sql.ts";
import { insertRows } from "./insert.ts";

export interface NewJobEvent {
  jobId: number;
  runId: number | null;
  from: JobState | null;
  to: JobState;
  reason: string | null;
}

export async function insertEvents(c: SqlClient, events: readonly NewJobEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  await insertRows(
    c,
    "job_events",
    ["job_id", "run_id", "from_state", "to_state", "at", "reason"],
    events.map((e) => [e.jobId, e.runId, e.from, e.to, now, e.reason]),
  );
}

/** The history of one job, oldest first. */
export async function getEvents(c: SqlClient, jobId: number): Promise<JobEvent[]> {
  const rows = await c.all<DbJobEvent>("SELECT * FROM job_events WHERE job_id = ? ORDER BY id", [jobId]);
  return rows.map(toJobEvent);
}

/** Transitions into `states` at or after `since`, for reports. */
export async function eventsSince(
  c: SqlClient,
  since: number,
  states: readonly JobState[],
): Promise<{ to: JobState; at: number }[]> {
  const rows = await c.all<{ to_state: string; at: number }>(
    // rows with from = to record edits (e.g. inputs changed by a parent's action), not transitions
    `SELECT to_state, at FROM job_events WHERE at >= ? AND to_state IN (${states.map(() => "?").join(", ")}) AND (from_state IS NULL OR from_state <> to_state) ORDER BY at`,
    [since, ...states],
  );
  return rows.map((r) => ({ to: r.to_state as JobState, at: Number(r.at) }));
}

/**
 * Every event row with an id above `afterId` (edits, where from = to, included, so that ids run
 * without gaps but those of rolled-back or not yet committed transactions), oldest first, at most
 * `limit`, with each job's flow (null once the job is deleted): what a live view replays after a
 * reconnect. `head` is the newest id at the time of the read; no row above it is returned.
 */
export async function eventsAfter(
  c: SqlClient,
  afterId: number,
  limit: number,
): Promise<{
  events: {
    id: number;
    jobId: number;
    flowId: number | null;
    from: JobState | null;
    to: JobState;
    at: number;
  }[];
  head: number;
}> {
  // the head first, and rows up to it: a row written in between is read next time, not skipped
  const top = await c.get<{ head: number | null }>("SELECT max(id) AS head FROM job_events");
  const head = Number(top?.head ?? 0);
  const rows = await c.all<{
    id: number;
    job_id: number;
    flow_id: number | null;
    from_state: string | null;
    to_state: string;
    at: number;
  }>(
    `SELECT e.id, e.job_id, j.flow_id, e.from_state, e.to_state, e.at FROM job_events e LEFT JOIN jobs j ON j.id = e.job_id
     WHERE e.id > ? AND e.id <= ? ORDER BY e.id LIMIT ?`,
    [afterId, head, limit],
  );
  return {
    events: rows.map((r) => ({
      id: Number(r.id),
      jobId: Number(r.job_id),
      flowId: r.flow_id === null ? null : Number(r.flow_id),
      from: r.from_state as JobState | null,
      to: r.to_state as JobState,
      at: Number(r.at),
    })),
    head,
  };
}
