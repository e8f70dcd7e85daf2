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

/** Events with an id above `afterId` (the change feed), oldest first, with the job's flow. */
export async function eventsAfter(
  c: SqlClient,
  afterId: number,
  limit: number,
): Promise<(JobEvent & { flowId: number })[]> {
  const rows = await c.all<DbJobEvent & { flow_id: number }>(
    "SELECT e.*, j.flow_id FROM job_events e JOIN jobs j ON j.id = e.job_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
    [afterId, limit],
  );
  return rows.map((r) => ({ ...toJobEvent(r), flowId: Number(r.flow_id) }));
}
