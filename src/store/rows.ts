/** Database rows (`Db…`) and their mapping to domain types. */
import { type JsonObject, type JsonValue, storedJsonText } from "../model/json.ts";
import type { Resources } from "../model/resources.ts";
import type { JobState, RunState } from "../model/states.ts";
import type {
  Checkpoint,
  Flow,
  Job,
  JobEvent,
  Recovery,
  Run,
  RunError,
  RunMode,
  Task,
} from "../model/types.ts";
import type { Dialect } from "./sql.ts";

export interface DbFlow {
  id: number;
  name: string;
  metadata: unknown;
  created_at: number;
  updated_at: number;
}

export interface DbJob {
  id: number;
  flow_id: number;
  name: string;
  state: string;
  tasks: unknown;
  inputs: unknown;
  resources: unknown;
  worker: string | null;
  category: string | null;
  priority: number;
  metadata: unknown;
  allow_failed_parents: number;
  unfinished_parents: number;
  outputs: unknown;
  stored_data: unknown;
  recovery: unknown;
  held_from: string | null;
  added_by_run: number | null;
  label: string | null;
  env: unknown;
  pre_run: string | null;
  on_missing_reference: string | null;
  created_at: number;
  updated_at: number;
}

export interface DbRun {
  id: number;
  job_id: number;
  attempt: number;
  state: string;
  mode: string;
  worker: string | null;
  host: string | null;
  launch_dir: string | null;
  scheduler_id: string | null;
  scheduler_state: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  heartbeat_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  checkpoint: unknown;
  outputs: unknown;
  action: unknown;
  error: unknown;
  exit_code: number | null;
  archived: number;
  forgotten: number;
  problem: string | null;
  problem_count: number;
  created_at: number;
  updated_at: number;
}

export interface DbJobEvent {
  id: number;
  job_id: number;
  run_id: number | null;
  from_state: string | null;
  to_state: string;
  at: number;
  reason: string | null;
}

/**
 * JSON column value for a parameter: JSON text (both dialects accept it; PostgreSQL casts to
 * jsonb, whose numeric keeps `1.0`; SQLite keeps the text), with integral exponents written out
 * (model/json.ts, storedJsonText). Read back with the dialect's readJson.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : storedJsonText(value);
}

function json<T>(dialect: Dialect, value: unknown): T | null {
  return value === null || value === undefined ? null : (dialect.readJson(value) as T);
}

export function toFlow(dialect: Dialect, row: DbFlow): Flow {
  return {
    id: Number(row.id),
    name: row.name,
    metadata: json<JsonObject>(dialect, row.metadata) ?? {},
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toJob(dialect: Dialect, row: DbJob): Job {
  return {
    id: Number(row.id),
    flowId: Number(row.flow_id),
    name: row.name,
    state: row.state as JobState,
    tasks: json<Task[]>(dialect, row.tasks) ?? [],
    inputs: json<JsonObject>(dialect, row.inputs) ?? {},
    resources: json<Resources>(dialect, row.resources) ?? {},
    worker: row.worker,
    category: row.category,
    priority: Number(row.priority),
    metadata: json<JsonObject>(dialect, row.metadata) ?? {},
    allowFailedParents: Number(row.allow_failed_parents) !== 0,
    unfinishedParents: Number(row.unfinished_parents),
    outputs: json<JsonValue>(dialect, row.outputs),
    storedData: json<JsonObject>(dialect, row.stored_data),
    recovery: json<Recovery>(dialect, row.recovery),
    heldFrom: (row.held_from as JobState | null) ?? null,
    addedByRun: row.added_by_run === null || row.added_by_run === undefined ? null : Number(row.added_by_run),
    label: row.label ?? null,
    env: json<Record<string, string>>(dialect, row.env) ?? {},
    preRun: row.pre_run ?? null,
    onMissingReference: row.on_missing_reference === "null" ? "null" : "fail",
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toRun(dialect: Dialect, row: DbRun): Run {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(row.id),
    jobId: Number(row.job_id),
    attempt: Number(row.attempt),
    state: row.state as RunState,
    mode: row.mode as RunMode,
    worker: row.worker,
    host: row.host,
    launchDir: row.launch_dir,
    schedulerId: row.scheduler_id,
    schedulerState: row.scheduler_state,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: num(row.lease_expires_at),
    heartbeatAt: num(row.heartbeat_at),
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
    checkpoint: json<Checkpoint>(dialect, row.checkpoint),
    outputs: json<JsonValue>(dialect, row.outputs),
    action: json<JsonObject>(dialect, row.action),
    error: json<RunError>(dialect, row.error),
    exitCode: num(row.exit_code),
    archived: Number(row.archived) !== 0,
    forgotten: Number(row.forgotten) !== 0,
    problem: row.problem,
    problemCount: Number(row.problem_count),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toJobEvent(row: DbJobEvent): JobEvent {
  return {
    id: Number(row.id),
    jobId: Number(row.job_id),
    runId: row.run_id === null ? null : Number(row.run_id),
    from: (row.from_state as JobState | null) ?? null,
    to: row.to_state as JobState,
    at: Number(row.at),
    reason: row.reason,
  };
}
