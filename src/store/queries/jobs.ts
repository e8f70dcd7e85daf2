/** jobs: insert, read, select by filter, and field updates that are not state transitions. */
import type { JsonObject, JsonValue } from "../../model/json.ts";
import type { Resources } from "../../model/resources.ts";
import type { JobState } from "../../model/states.ts";
import type { Job, Recovery, Task } from "../../model/types.ts";
import { type DbJob, jsonParam, toJob } from "../rows.ts";
import { chunks, placeholders, type SqlClient, type SqlParam } from "../sql.ts";
import { updateFromValues } from "./batch.ts";
import { insertRows } from "./insert.ts";
import { type JobFilter, jobFilterSql } from "./job-filter.ts";

export interface NewJob {
  name: string;
  state: JobState;
  tasks: Task[];
  inputs: JsonObject;
  resources: Resources;
  worker: string | null;
  category: string | null;
  priority: number;
  metadata: JsonObject;
  allowFailedParents: boolean;
  unfinishedParents: number;
  addedByRun?: number | null;
  label?: string | null;
  env?: Record<string, string>;
  preRun?: string | null;
  onMissingReference?: "fail" | "null";
}

const JOB_COLUMNS = [
  "flow_id",
  "name",
  "state",
  "tasks",
  "inputs",
  "resources",
  "worker",
  "category",
  "priority",
  "metadata",
  "allow_failed_parents",
  "unfinished_parents",
  "added_by_run",
  "label",
  "env",
  "pre_run",
  "on_missing_reference",
  "created_at",
  "updated_at",
] as const;

/** Inserts the jobs of one flow; returns name → id. */
export async function insertJobs(
  c: SqlClient,
  flowId: number,
  jobs: readonly NewJob[],
  now: number,
): Promise<Map<string, number>> {
  const rows = await insertRows<{ id: number; name: string }>(
    c,
    "jobs",
    JOB_COLUMNS,
    jobs.map((j) => [
      flowId,
      j.name,
      j.state,
      jsonParam(j.tasks),
      jsonParam(j.inputs),
      jsonParam(j.resources),
      j.worker,
      j.category,
      j.priority,
      jsonParam(j.metadata),
      j.allowFailedParents ? 1 : 0,
      j.unfinishedParents,
      j.addedByRun ?? null,
      j.label ?? null,
      j.env && Object.keys(j.env).length > 0 ? jsonParam(j.env) : null,
      j.preRun ?? null,
      j.onMissingReference ?? "fail",
      now,
      now,
    ]),
    "id, name",
  );
  return new Map(rows.map((r) => [r.name, Number(r.id)]));
}

/**
 * After a large add on PostgreSQL: refresh the planner's statistics of `jobs`. With the counts
 * of before the add, the planner expects few READY jobs and claims by sorting all of them
 * (11.6 ms per claim over 10,000 READY jobs) instead of reading the claim index in order
 * (0.07 ms) — until autovacuum gets round to it, a minute or more later.
 */
export async function analyzeJobs(c: SqlClient): Promise<void> {
  if (c.dialect.name === "postgres") await c.exec("ANALYZE jobs");
}

export async function getJobs(c: SqlClient, ids: readonly number[], forUpdate = false): Promise<Job[]> {
  const out: Job[] = [];
  const lock = forUpdate && c.dialect.name === "postgres" ? " FOR UPDATE" : "";
  for (const chunk of chunks(ids)) {
    const rows = await c.all<DbJob>(
      `SELECT * FROM jobs WHERE id IN (${placeholders(chunk.length)}) ORDER BY id${lock}`,
      chunk,
    );
    out.push(...rows.map((r) => toJob(c.dialect, r)));
  }
  return out;
}

export interface FindOptions {
  limit?: number;
  offset?: number;
  /** Default: id ascending. */
  order?: "id" | "-id" | "updated" | "-updated" | "priority";
}

const ORDER: Record<NonNullable<FindOptions["order"]>, string> = {
  id: "j.id",
  "-id": "j.id DESC",
  updated: "j.updated_at, j.id",
  "-updated": "j.updated_at DESC, j.id DESC",
  priority: "j.priority DESC, j.id",
};

export async function findJobs(c: SqlClient, filter: JobFilter, options: FindOptions = {}): Promise<Job[]> {
  const where = jobFilterSql(c.dialect, filter);
  const rows = await c.all<DbJob>(
    `SELECT j.* FROM jobs j WHERE ${where.sql} ORDER BY ${ORDER[options.order ?? "id"]} LIMIT ? OFFSET ?`,
    [...where.params, options.limit ?? 1_000_000_000, options.offset ?? 0],
  );
  return rows.map((r) => toJob(c.dialect, r));
}

/** Ids and states only: what commands that change many jobs need first. */
export async function findJobStates(
  c: SqlClient,
  filter: JobFilter,
): Promise<{ id: number; flowId: number; state: JobState; name: string }[]> {
  const where = jobFilterSql(c.dialect, filter);
  const rows = await c.all<{ id: number; flow_id: number; state: string; name: string }>(
    `SELECT j.id, j.flow_id, j.state, j.name FROM jobs j WHERE ${where.sql} ORDER BY j.id`,
    where.params,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    flowId: Number(r.flow_id),
    state: r.state as JobState,
    name: r.name,
  }));
}

export async function countJobs(c: SqlClient, filter: JobFilter): Promise<number> {
  const where = jobFilterSql(c.dialect, filter);
  const row = await c.get<{ n: number }>(`SELECT count(*) AS n FROM jobs j WHERE ${where.sql}`, where.params);
  return Number(row?.n ?? 0);
}

export async function countByState(c: SqlClient): Promise<Partial<Record<JobState, number>>> {
  const rows = await c.all<{ state: string; n: number }>(
    "SELECT state, count(*) AS n FROM jobs GROUP BY state",
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Outputs of the named jobs of one flow (for resolving output references). */
export async function outputsByName(
  c: SqlClient,
  flowId: number,
  names: readonly string[],
): Promise<Map<string, { state: JobState; outputs: JsonValue | null }>> {
  const out = new Map<string, { state: JobState; outputs: JsonValue | null }>();
  for (const chunk of chunks(names)) {
    const rows = await c.all<{ name: string; state: string; outputs: unknown }>(
      `SELECT name, state, outputs FROM jobs WHERE flow_id = ? AND name IN (${placeholders(chunk.length)})`,
      [flowId, ...chunk],
    );
    for (const r of rows) {
      const outputs = r.outputs === null ? null : (c.dialect.readJson(r.outputs) as JsonValue);
      out.set(r.name, { state: r.state as JobState, outputs });
    }
  }
  return out;
}

export interface JobPatch {
  inputs?: JsonObject;
  resources?: Resources;
  priority?: number;
  worker?: string | null;
  category?: string | null;
  metadata?: JsonObject;
  outputs?: JsonValue | null;
  storedData?: JsonObject | null;
  recovery?: Recovery | null;
  heldFrom?: JobState | null;
  unfinishedParents?: number;
}

const PATCH_COLUMNS: Record<keyof JobPatch, [string, boolean]> = {
  inputs: ["inputs", true],
  resources: ["resources", true],
  priority: ["priority", false],
  worker: ["worker", false],
  category: ["category", false],
  metadata: ["metadata", true],
  outputs: ["outputs", true],
  storedData: ["stored_data", true],
  recovery: ["recovery", true],
  heldFrom: ["held_from", false],
  unfinishedParents: ["unfinished_parents", false],
};

/** Sets fields (not the state) on jobs. */
export async function updateJobs(
  c: SqlClient,
  ids: readonly number[],
  patch: JobPatch,
  now: number,
): Promise<void> {
  const sets: string[] = ["updated_at = ?"];
  const params: SqlParam[] = [now];
  for (const [key, value] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
    if (value === undefined) continue;
    const [column, isJson] = PATCH_COLUMNS[key];
    sets.push(`${column} = ?`);
    params.push(isJson ? jsonParam(value) : (value as SqlParam));
  }
  for (const chunk of chunks(ids)) {
    await c.run(`UPDATE jobs SET ${sets.join(", ")} WHERE id IN (${placeholders(chunk.length)})`, [
      ...params,
      ...chunk,
    ]);
  }
}

/**
 * Each completed job's outputs, and its saved recovery cleared (a completed job resumes
 * nothing): one statement per few hundred jobs.
 */
export async function completeOutputs(
  c: SqlClient,
  items: readonly { jobId: number; outputs: JsonValue | null }[],
  now: number,
): Promise<void> {
  await updateFromValues(c, {
    table: "jobs",
    key: "id",
    columns: [{ column: "outputs", type: "json" }],
    rows: items.map((it) => [it.jobId, jsonParam(it.outputs)]),
    sets: { sql: "recovery = NULL, updated_at = ?", params: [now] },
  });
}

/** Delete jobs with their runs, history and edges; flows left without jobs go too. Returns the count. */
export async function deleteJobs(c: SqlClient, ids: readonly number[]): Promise<number> {
  let n = 0;
  const flows = new Set<number>();
  for (const chunk of chunks(ids)) {
    const list = placeholders(chunk.length);
    for (const r of await c.all<{ flow_id: number }>(
      `SELECT DISTINCT flow_id FROM jobs WHERE id IN (${list})`,
      chunk,
    ))
      flows.add(Number(r.flow_id));
    await c.run(`DELETE FROM job_events WHERE job_id IN (${list})`, chunk);
    await c.run(`DELETE FROM runs WHERE job_id IN (${list})`, chunk);
    await c.run(`DELETE FROM edges WHERE parent_id IN (${list}) OR child_id IN (${list})`, [
      ...chunk,
      ...chunk,
    ]);
    n += (await c.run(`DELETE FROM jobs WHERE id IN (${list})`, chunk)).changes;
  }
  for (const f of flows)
    await c.run("DELETE FROM flows WHERE id = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE flow_id = ?)", [
      f,
      f,
    ]);
  return n;
}

/**
 * Recompute `unfinished_parents` from the edges (the slow, always-right way, used after reruns,
 * cancels and graph edits; completions use the incremental decrement in transitions.ts). A
 * parent is finished when COMPLETED; when FAILED for a job that allows failed parents; when
 * FAILED or CANCELLED for a job whose missing references become null.
 */
export async function recountParents(c: SqlClient, ids: readonly number[]): Promise<void> {
  for (const chunk of chunks(ids)) {
    await c.run(
      `UPDATE jobs SET unfinished_parents = (
         SELECT count(*) FROM edges e JOIN jobs p ON p.id = e.parent_id
         WHERE e.child_id = jobs.id
           AND NOT (p.state = 'COMPLETED' OR (p.state = 'FAILED' AND jobs.allow_failed_parents = 1)
                    OR (p.state IN ('FAILED', 'CANCELLED') AND jobs.on_missing_reference = 'null')))
       WHERE id IN (${placeholders(chunk.length)})`,
      chunk,
    );
  }
}
