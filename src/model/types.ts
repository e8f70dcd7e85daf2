/** The domain vocabulary shared by code, CLI, database and docs (ARCHITECTURE.md "Concepts"). */
import type { JsonObject, JsonValue } from "./json.ts";
import type { Resources } from "./resources.ts";
import type { FlowState, JobState, RunState } from "./states.ts";

/** A shell command run by POSIX `sh -c`. Inputs reach it as environment variables and a JSON file. */
export interface ShTask {
  kind: "sh";
  command: string;
  name?: string;
  env?: Record<string, string>;
}

/** An exported function of a JavaScript/TypeScript module, called with the job's inputs. */
export interface JsTask {
  kind: "js";
  /** Absolute path of the module (resolved against the flow file when added). */
  module: string;
  /** Name of the exported function. */
  export: string;
  name?: string;
}

/**
 * A Python callable, run on the compute node by ferry's standard-library-only runner
 * (exec/ferry_py.py) with the job's inputs as keyword arguments; its return value is the output.
 * Exactly one of `module` and `file` is set.
 */
export interface PyTask {
  kind: "py";
  /** Dotted module name, imported on the compute node ("pkg.mod"): PYTHONPATH and the worker's python decide. */
  module?: string;
  /** Absolute path of a .py file on the login side; it is copied into the bundle. */
  file?: string;
  /** The callable inside the module: a name, or a dotted attribute path ("Class.method"). */
  function: string;
  name?: string;
  env?: Record<string, string>;
}

export type Task = ShTask | JsTask | PyTask;

/** Where a task-level rerun resumes (FireWorks' `spec._recovery`, set by `LaunchPad.rerun_fw` with `recover_launch`). */
export interface Recovery {
  /** Index of the task to run first; earlier tasks are skipped. */
  startTask: number;
  /** Outputs of the tasks before `startTask`, in order (null when a task produced none). */
  outputs: (JsonValue | null)[];
  /** Actions of the tasks before `startTask`, in order. */
  actions: (JsonObject | null)[];
  /** The launch directory of the run the checkpoint came from. */
  previousDir: string | null;
  /** copy: copy the previous dir's files into the new one; reuse: run in the previous dir. */
  dirMode: "fresh" | "copy" | "reuse";
  fromRunId: number;
}

export interface Flow {
  id: number;
  name: string;
  metadata: JsonObject;
  createdAt: number;
  updatedAt: number;
}

export interface FlowSummary extends Flow {
  state: FlowState;
  counts: Partial<Record<JobState, number>>;
  jobCount: number;
}

/**
 * Per-job options (schema 4). `label`: a display name that need not be unique (jobflow's
 * readable job names; `name` stays unique within the flow). `env` and `preRun`: variables for
 * every task and shell lines after the worker's preRun (jobflow-remote's exec_config).
 * `onMissingReference`: "null" makes a reference to a FAILED or CANCELLED parent, or to an
 * output path that is not there, resolve to null, and lets the job run once such parents end
 * (jobflow's OnMissing.NONE); "fail" (the default) fails the job instead.
 */
export interface JobOptions {
  label: string | null;
  env: Record<string, string>;
  preRun: string | null;
  onMissingReference: "fail" | "null";
}

export interface Job extends JobOptions {
  id: number;
  flowId: number;
  name: string;
  state: JobState;
  tasks: Task[];
  /** Inputs as written: they may hold output references until the job is handed to an executor. */
  inputs: JsonObject;
  resources: Resources;
  worker: string | null;
  category: string | null;
  priority: number;
  metadata: JsonObject;
  allowFailedParents: boolean;
  /** Number of parents that have not finished in a way that lets this job run. */
  unfinishedParents: number;
  outputs: JsonValue | null;
  storedData: JsonObject | null;
  recovery: Recovery | null;
  /** For HELD jobs: the state to return to on `retry`. */
  heldFrom: JobState | null;
  /** The run whose action added this job (dynamic workflows), or null. */
  addedByRun: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface RunError {
  message: string;
  /** Stack trace (js tasks) or the tail of the failed task's stderr (sh tasks). */
  stack: string | null;
  exitCode: number | null;
  signal: string | null;
  /** Index of the task that failed, when known. */
  task: number | null;
  /** What the error is about: a task failed, the wrapper was killed, the run was lost, … */
  reason:
    | "task-failed"
    | "signal"
    | "walltime"
    | "memory"
    | "lost"
    | "interrupted"
    | "cancelled"
    | "inputs"
    | "bundle"
    | "submit"
    | "collect"
    | "action";
}

/** A run error that is not a task's own (no stack, signal or task unless given). */
export function runError(
  reason: RunError["reason"],
  message: string,
  more: Partial<Pick<RunError, "stack" | "exitCode" | "signal" | "task">> = {},
): RunError {
  return { message, stack: null, exitCode: null, signal: null, task: null, reason, ...more };
}

export interface Checkpoint {
  /** The task about to run when the checkpoint was written. */
  task: number;
  at: number;
  /** Outputs and actions of the tasks before `task` (filled in when the run is collected). */
  outputs?: (JsonValue | null)[];
  actions?: (JsonObject | null)[];
}

export type RunMode = "pull" | "offline" | "managed";

export interface Run {
  id: number;
  jobId: number;
  attempt: number;
  state: RunState;
  mode: RunMode;
  worker: string | null;
  host: string | null;
  launchDir: string | null;
  schedulerId: string | null;
  /** The scheduler's last reported neutral state (queued, running, done, timeout, …). */
  schedulerState: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  heartbeatAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  checkpoint: Checkpoint | null;
  outputs: JsonValue | null;
  action: JsonObject | null;
  error: RunError | null;
  exitCode: number | null;
  archived: boolean;
  /** Offline runs that `ferry offline forget` told us to stop recovering. */
  forgotten: boolean;
  /** The last problem met while recovering this run (unreadable file, …), reported and retried. */
  problem: string | null;
  problemCount: number;
  createdAt: number;
  updatedAt: number;
}

/** One row of a job's history: every transition is written with it in one transaction. */
export interface JobEvent {
  id: number;
  jobId: number;
  runId: number | null;
  from: JobState | null;
  to: JobState;
  at: number;
  reason: string | null;
}

export interface WorkerRef {
  name: string;
  categories: readonly string[];
}

/** The job specification as written in a flow file or built with the builder API. */
export interface JobSpec extends JobOptions {
  name: string;
  tasks: Task[];
  parents: string[];
  inputs: JsonObject;
  resources: Resources;
  worker: string | null;
  category: string | null;
  priority: number;
  metadata: JsonObject;
  allowFailedParents: boolean;
}

export interface FlowSpec {
  name: string;
  metadata: JsonObject;
  jobs: JobSpec[];
  /** Where the spec came from (file path), for error messages. */
  source?: string;
}

/** Where the store lives. */
export type DatabaseTarget =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string; schema?: string };
