/**
 * ferry's public TypeScript API — the one entry point (`import … from "ferry-hpc"`). The CLI,
 * the dashboard and the runner use this and nothing below it.
 *
 * ```ts
 * import { flow, js, openProject } from "ferry-hpc";
 * import type * as tasks from "./tasks.ts";
 *
 * const f = flow("diamond");
 * const a = f.job("a", { sh: `echo '{"value": 6}' > "$FERRY_OUTPUTS"` });
 * f.job("b", { js: js<typeof tasks.square>("./tasks.ts", "square"), inputs: { x: a.output("value") } });
 *
 * await using project = await openProject({ dir: "." });
 * await project.add(f);
 * console.log(await project.launch());
 * ```
 * @module
 */

// ---- building flows ----

export type { TaskContext } from "./exec/js-task.ts";
/** In a js task: return an output together with an action (`withAction(out, { stopChildren: true })`). */
export { withAction } from "./exec/js-task.ts";
export type {
  Input,
  Inputs,
  JobDef,
  JsTaskDef,
  OutputRef,
  ShTaskDef,
  TaskDef,
  TaskFn,
} from "./flow/builder.ts";
export {
  /** What `flow()` returns: add jobs with `.job()`, check with `.build()`. */
  FlowBuilder,
  /** Start a flow; relative module paths in it resolve against the calling module. */
  flow,
  /** A job of a builder: `.output(path)` references its output; `.field(key)` a typed field. */
  JobHandle,
  /** A js task: an exported function of a module, typed by the function when given. */
  js,
  /** A shell task (`sh -c`), with optional name and environment. */
  sh,
} from "./flow/builder.ts";
/** What a task may ask of its flow (FireWorks' FWAction and jobflow's Response in one). */
export type { Action } from "./model/action.ts";

// ---- the project facade ----

export type { AddedFlow, FlowInput } from "./api/add.ts";
export type {
  ChangeCommand,
  ChangeReport,
  DryRunOption,
  EditLine,
  LiveRun,
  RerunReport,
  RerunRequest,
  StopReport,
} from "./api/control.ts";
export type { Logs, LogsRequest } from "./api/logs.ts";
export type { ForgetReport, RecoverSummary, SubmitRequest, SubmitSummary } from "./api/offline.ts";
export type { OpenProjectOptions, ProjectConfig, ProjectRunner } from "./api/project.ts";
export {
  /** Open a project from a folder, a ferry.yaml path, or a ferry.yaml-shaped object. */
  openProject,
  /** One project: add, launch, read, change jobs, offline mode, events. */
  Project,
} from "./api/project.ts";
export type {
  ChangesQuery,
  FlowDetails,
  FlowQuery,
  JobChange,
  JobDetails,
  JobLink,
  Page,
} from "./api/reads.ts";
export type { Report, ReportInterval, ReportRow } from "./api/report.ts";
export type { LaunchRequest, LaunchSummary, LostReport, QlaunchRequest, QlaunchSummary } from "./api/run.ts";
export type {
  LogEntry as RunnerLogEntry,
  RunnerInfo,
  RunnerResult,
  RunnerRunRequest,
  RunnerStatus,
  RunnerStopReport,
  WorkerRunnerStatus,
  WorkerRunState,
} from "./api/runner.ts";
export type { Selection } from "./api/selection.ts";
export type { ResolvedProject, ResolvedWorker } from "./config/load.ts";

// ---- errors: each has a `kind` the CLI maps to one exit code ----

export type { ErrorKind, Issue } from "./model/errors.ts";
export {
  /** A change refused, e.g. a rerun that would orphan a live run (exit 7). */
  ConflictError,
  /** Anything thrown, as an Error. */
  coerceError,
  /** Base class: `kind`, `retryable`, and a message that says what to do next. */
  FerryError,
  /** Interrupted (exit 130). */
  InterruptedError,
  /** No such job, flow, run, worker or project (exit 4). */
  NotFoundError,
  /** A batch-system command failed (exit 8). */
  SchedulerError,
  /** The database is unreachable, locked, missing or too new (exit 5). */
  StoreError,
  /** A file or process primitive failed, locally or over SSH (exit 8). */
  TransportError,
  /** A usage mistake: missing selector, conflicting options, a bad number (exit 2). */
  UsageError,
  /** Invalid flow, project file, query or edit; `issues` locate each problem (exit 3). */
  ValidationError,
} from "./model/errors.ts";

// ---- events ----

export type { FerryEventMap, FerryEventName, FerryListener } from "./model/events.ts";
/** The typed event bus (`project.events.on("run:finished", …)`); emitting never throws. */
export { FerryEvents } from "./model/events.ts";

// ---- the domain ----

export type { JsonObject, JsonValue } from "./model/json.ts";
export type { Resources } from "./model/resources.ts";
export type { FlowState, JobState, RunState } from "./model/states.ts";
/** Every job state, in lifecycle order; and the states of runs and (derived) flows. */
export { FLOW_STATES, JOB_STATES, RUN_STATES } from "./model/states.ts";
export type {
  Checkpoint,
  DatabaseTarget,
  Flow,
  FlowSpec,
  FlowSummary,
  Job,
  JobEvent,
  JobSpec,
  JsTask,
  Recovery,
  Run,
  RunError,
  RunMode,
  ShTask,
  Task,
} from "./model/types.ts";
/** ferry's version. */
export { FERRY_VERSION } from "./version.ts";
