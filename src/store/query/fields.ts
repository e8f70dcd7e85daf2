/**
 * The fields a query may name, per subject (jobs, or runs with `--runs`), and where each lives
 * in SQL. Column names here are the only SQL identifiers the translator ever emits; user text
 * never becomes an identifier (JSON path segments are checked in parse.ts and quoted by the
 * dialect).
 */
import { JOB_STATES, RUN_STATES } from "../../model/states.ts";

/**
 * - string, number: plain columns.
 * - integer: an integer column (PostgreSQL bigint, or `integer` when `int32`); a non-integer
 *   operand would be a PostgreSQL cast error, so the parser refuses it.
 * - time: integer milliseconds since the epoch; ISO-8601 strings are accepted and converted.
 * - boolean: stored as 0/1.
 * - json: a JSON column; dotted paths reach inside it.
 */
export type FieldType = "string" | "number" | "integer" | "time" | "boolean" | "json";

export interface FieldSpec {
  /** SQL for the column, qualified by the table alias (`j.flow_id`). */
  readonly column: string;
  readonly type: FieldType;
  /** PostgreSQL `integer` rather than `bigint`: operands must fit in 32 bits. */
  readonly int32?: boolean;
  /** For enumerations (states): the values equality and $in accept. */
  readonly values?: readonly string[];
}

export interface FieldMap {
  /** "job" or "run": used in messages. */
  readonly subject: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Names of the other subject's fields, to explain a query written for the wrong mode. */
  readonly otherSubject: string;
  readonly otherHint: string;
}

const col = (column: string, type: FieldType, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  column,
  type,
  ...extra,
});

const JOB_COLUMNS: Record<string, FieldSpec> = {
  id: col("j.id", "integer"),
  name: col("j.name", "string"),
  label: col("j.label", "string"),
  state: col("j.state", "string", { values: JOB_STATES }),
  flow: col("j.flow_id", "integer"),
  worker: col("j.worker", "string"),
  category: col("j.category", "string"),
  priority: col("j.priority", "number"),
  createdAt: col("j.created_at", "time"),
  updatedAt: col("j.updated_at", "time"),
  allowFailedParents: col("j.allow_failed_parents", "boolean"),
  inputs: col("j.inputs", "json"),
  outputs: col("j.outputs", "json"),
  metadata: col("j.metadata", "json"),
  resources: col("j.resources", "json"),
  storedData: col("j.stored_data", "json"),
};

const RUN_COLUMNS: Record<string, FieldSpec> = {
  id: col("r.id", "integer"),
  jobId: col("r.job_id", "integer"),
  attempt: col("r.attempt", "integer", { int32: true }),
  state: col("r.state", "string", { values: RUN_STATES }),
  mode: col("r.mode", "string"),
  worker: col("r.worker", "string"),
  host: col("r.host", "string"),
  launchDir: col("r.launch_dir", "string"),
  schedulerId: col("r.scheduler_id", "string"),
  exitCode: col("r.exit_code", "integer", { int32: true }),
  startedAt: col("r.started_at", "time"),
  finishedAt: col("r.finished_at", "time"),
  createdAt: col("r.created_at", "time"),
  heartbeatAt: col("r.heartbeat_at", "time"),
  error: col("r.error", "json"),
  outputs: col("r.outputs", "json"),
  action: col("r.action", "json"),
  checkpoint: col("r.checkpoint", "json"),
};

export const JOB_FIELDS: FieldMap = {
  subject: "job",
  fields: JOB_COLUMNS,
  otherSubject: "run",
  otherHint: "add --runs to match run records (attempts) instead of jobs",
};

export const RUN_FIELDS: FieldMap = {
  subject: "run",
  fields: RUN_COLUMNS,
  otherSubject: "job",
  otherHint: "with --runs the query matches run records; leave out --runs to match jobs",
};

/**
 * Field names FireWorks and jobflow-remote users type, and what they are called here
 * (FireWorks: `lpad` selectors in fireworks/scripts/lpad_run.py and the launches
 * documents of fireworks/core/launchpad.py).
 */
export const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  spec: "inputs",
  fw_id: "id",
  db_id: "id",
  uuid: "id",
  updated_on: "updatedAt",
  created_on: "createdAt",
  launches: "runs, matched with --runs",
  stored_data: "storedData",
  launch_dir: "launchDir",
  fworker: "worker",
};

export function fieldNames(map: FieldMap): string[] {
  return Object.keys(map.fields);
}

/**
 * Paths of FireWorks' records that are valid JSON paths here but would silently match nothing:
 * the rerun documentation's example `lpad rerun_fws -lm -q
 * '{"action.stored_data._exception._stacktrace": {"$regex": …}}'` (FireWorks' Rocket stores a
 * failure's trace there; ferry keeps it in the run's `error`). Refused with the field to use.
 */
export function foreignPath(map: FieldMap, key: string): string | undefined {
  if (map !== RUN_FIELDS || !/^action\.stored_data\._exception(\.|$)/.test(key)) return undefined;
  const rest = key.slice("action.stored_data._exception".length);
  const ours = rest === "._stacktrace" ? "error.stack" : rest === "._details" ? "error.message" : "error.*";
  return `FireWorks keeps a failure's trace in action.stored_data._exception; ferry keeps it in the run's error: use "${ours}" (error.stack holds the stack trace or the failed task's stderr, error.message the message), e.g. {"error.stack": {"$regex": "Segmentation fault"}}`;
}
