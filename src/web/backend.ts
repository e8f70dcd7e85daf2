/**
 * Everything the dashboard reads and does, as one narrow interface. The pages and routes use only
 * this; its implementation (backend-project.ts) calls the public API (the Project facade) that the
 * CLI uses too, so the
 * web never holds SQL or lifecycle rules of its own and a job changed from the page is changed
 * exactly as `ferry rerun|pause|…` would change it.
 */
import type { Report } from "../api/report.ts";
import type { RunnerInfo, RunnerStatus } from "../api/runner.ts";
import type { JobState } from "../model/states.ts";
import type { FlowSummary, Job, JobEvent, Run } from "../model/types.ts";
import type { GraphJob } from "./graph/collapse.ts";

/** The CLI's selectors, as text, exactly as `--id`, `--name`, `--state`, … take them. */
export interface SelectorText {
  id?: string[];
  name?: string[];
  state?: string[];
  flow?: string[];
  worker?: string[];
  since?: string;
  until?: string;
  query?: string;
  /** `query` matches each job's current run (`--runs`). */
  runs?: boolean;
  /** Every job: required when no other selector is given, as on the CLI. */
  all?: boolean;
}

export interface FlowQuery {
  states?: string[];
  /** A glob over flow names. */
  name?: string;
  /** Flows changed at or after / before (CLI time forms: ISO, or 30m, 2h, 1d). */
  since?: string;
  until?: string;
  offset: number;
  limit: number;
}

export interface Paged<T> {
  items: T[];
  /** Whether another page follows. */
  more: boolean;
}

export interface Brief {
  id: number;
  name: string;
  state: JobState;
}

export interface JobDetails {
  job: Job;
  parents: Brief[];
  children: Brief[];
  /** Every run, archived ones too, oldest first. */
  runs: Run[];
  events: JobEvent[];
}

export const ACTIONS = ["rerun", "pause", "resume", "cancel", "retry"] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface ActionRequest {
  action: ActionName;
  selection: SelectorText;
  /** rerun: resume at the task that failed (`--task-level`). */
  taskLevel?: boolean;
  /** rerun: stop live runs first instead of refusing (`--force`). */
  force?: boolean;
}

export interface ActionPreview {
  action: ActionName;
  /** Jobs the selection matched. */
  matched: number;
  /** Jobs the action would change (for rerun: reset; descendants not included). */
  changes: Brief[];
  /** The report as the CLI prints it with `--dry-run`. */
  text: string;
}

export interface ActionOutcome {
  action: ActionName;
  /** Jobs changed (for rerun: reset), with descendants for a rerun. */
  changed: Brief[];
  skipped: (Brief & { reason: string })[];
  /** The report as the CLI prints it. */
  text: string;
}

export interface WorkerLoad {
  name: string;
  mode: string;
  scheduler: string;
  /** Jobs handed to this worker and not yet running (RESERVED, STAGED, SUBMITTED). */
  queued: number;
  running: number;
  /** Jobs pinned to this worker that wait for it (READY). */
  ready: number;
}

/**
 * One row of the jobs' history, in the order the database numbered them; `id` only grows. A row
 * with from = to records an edit, not a transition. `flowId` is null once the job is deleted.
 */
export interface StateChange {
  id: number;
  jobId: number;
  flowId: number | null;
  from: JobState | null;
  to: JobState;
  at: number;
}

export type { RunnerInfo, RunnerStatus };

export interface WebBackend {
  /** Where the project lives, for the page header. */
  readonly description: string;
  flows(q: FlowQuery): Promise<Paged<FlowSummary>>;
  /** Throws NotFoundError. */
  flow(id: number): Promise<FlowSummary>;
  /** Every job of the flow, in a form small enough for 100,000 jobs, and its edges. */
  flowGraph(id: number): Promise<{ jobs: GraphJob[]; edges: [number, number][] }>;
  /** Jobs matching the selectors, oldest first. Throws UsageError for a bad selector. */
  jobs(selection: SelectorText, page: { offset: number; limit: number }): Promise<Paged<Job>>;
  /** Throws NotFoundError. */
  job(id: number): Promise<JobDetails>;
  /** The `--dry-run` of the action: changes nothing. */
  preview(req: ActionRequest): Promise<ActionPreview>;
  /** The action itself, confirmed (`--yes`). */
  apply(req: ActionRequest): Promise<ActionOutcome>;
  report(o: { interval: string; count: number }): Promise<Report>;
  workers(): Promise<WorkerLoad[]>;
  /** The runners and each managed worker's state, as `ferry runner status --json` gives them. */
  runner(): Promise<RunnerStatus>;
  /** Set the stop flag on every runner, as `ferry runner stop` (without --wait): how many were asked. */
  stopRunners(): Promise<{ asked: number }>;
  /**
   * Rows with an id above `after`, oldest first, at most `limit`; `last` is the id to resume
   * after (every row up to it was returned, or is a gap that will never fill).
   */
  changes(after: number, limit: number): Promise<{ changes: StateChange[]; last: number }>;
  /** The newest id of the jobs' history now (0 when empty). */
  latestChange(): Promise<number>;
  /**
   * The job's latest run's logs: the tail first, then what is appended, until the run ends or
   * `signal` aborts. Throws NotFoundError when the job has not run.
   */
  followLogs(jobId: number, write: (text: string) => void, signal: AbortSignal): Promise<void>;
}
