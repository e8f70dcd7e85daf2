/**
 * The project facade: everything the CLI, the dashboard, a runner or a program does with a
 * ferry project, from one object. Open it from a folder or a ferry.yaml-shaped object; the
 * database opens on first use and closes with `close()` (or `await using`).
 *
 *   await using project = await openProject({ dir: "." });
 *   await project.add(myFlow);
 *   const summary = await project.launch();
 */
import { join, resolve } from "node:path";
import type { z } from "zod";
import {
  findProjectFile,
  loadProject,
  PROJECT_FILE,
  parseDatabaseUrl,
  type ResolvedProject,
  resolveProject,
} from "../config/load.ts";
import type { projectSchema } from "../config/schema.ts";
import { NotFoundError } from "../model/errors.ts";
import { FerryEvents } from "../model/events.ts";
import type { DatabaseTarget, FlowSummary, Job } from "../model/types.ts";
import { type AddedFlow, addFlows, type FlowInput } from "./add.ts";
import { ApiContext } from "./context.ts";
import * as control from "./control.ts";
import { type FireworksImport, importFireworks } from "./import.ts";
import { followLogs, type Logs, type LogsRequest, readLogs } from "./logs.ts";
import * as offline from "./offline.ts";
import * as reads from "./reads.ts";
import { type Report, report } from "./report.ts";
import * as run from "./run.ts";
import * as runnerApi from "./runner.ts";
import type { Selection } from "./selection.ts";

/** `project.runner`: the runner daemon's operations. */
export interface ProjectRunner {
  run(options?: runnerApi.RunnerRunRequest): Promise<runnerApi.RunnerResult>;
  login(options: {
    workers?: readonly string[];
    interactive: boolean;
  }): Promise<{ worker: string; message: string }[]>;
  stop(options?: {
    wait?: boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<runnerApi.RunnerStopReport>;
  status(): Promise<runnerApi.RunnerStatus>;
  logs(options: {
    tail?: number;
    follow?: boolean;
    signal?: AbortSignal;
    onEntry: (e: runnerApi.LogEntry) => void;
  }): Promise<void>;
  paths(): { stateDir: string; log: string; out: string };
}

/** ferry.yaml as an object (the same keys and defaults as the file). */
export type ProjectConfig = z.input<typeof projectSchema>;

export interface OpenProjectOptions {
  /**
   * The project folder or its ferry.yaml (relative to the current folder). With `config`: the
   * folder that relative paths in it (database, workDir) resolve against. Default: the current
   * folder.
   */
  dir?: string;
  /** A ferry.yaml-shaped object instead of a file. */
  config?: ProjectConfig;
  /** Look for ferry.yaml in `dir`'s parents too (what the CLI does). */
  searchParents?: boolean;
  /** Use this database instead of the project's: `postgres://…`, a SQLite path, or a target. */
  database?: string | DatabaseTarget;
  /** Emit events here (default: a new bus, `project.events`). */
  events?: FerryEvents;
}

function resolveOptions(o: OpenProjectOptions): ResolvedProject {
  const cwd = process.cwd();
  const database = typeof o.database === "string" ? o.database : undefined;
  let project: ResolvedProject;
  if (o.config !== undefined) {
    project = resolveProject(o.config, join(resolve(cwd, o.dir ?? "."), PROJECT_FILE), {
      cwd,
      ...(database !== undefined ? { database } : {}),
    });
  } else if (o.searchParents) {
    const file = findProjectFile({ cwd: resolve(cwd, o.dir ?? ".") });
    if (!file)
      throw new NotFoundError(
        `no ${PROJECT_FILE} in ${resolve(cwd, o.dir ?? ".")} or any parent folder: run \`ferry init\`, or name the project (--project, FERRY_PROJECT)`,
      );
    project = loadProject({ project: file, cwd, ...(database !== undefined ? { database } : {}) });
  } else {
    project = loadProject({ project: o.dir ?? ".", cwd, ...(database !== undefined ? { database } : {}) });
  }
  if (typeof o.database === "object") project = Object.freeze({ ...project, database: o.database });
  return project;
}

/**
 * Open a project: read and validate its ferry.yaml (or `config`). Throws ValidationError for an
 * invalid project (a worker mode nothing can run is named), NotFoundError when there is none.
 * The database is opened on first use.
 */
export async function openProject(options: OpenProjectOptions = {}): Promise<Project> {
  return new Project(resolveOptions(options), options.events ?? new FerryEvents());
}

/** Parse a `--database` value the way openProject does (for tools that print it). */
export function databaseTarget(text: string, baseDir = process.cwd()): DatabaseTarget {
  return parseDatabaseUrl(text, baseDir);
}

/** One ferry project: its flows, jobs, runs and workers. */
export class Project implements AsyncDisposable {
  /** The resolved ferry.yaml (frozen): folder, file, database, workers. */
  readonly config: ResolvedProject;
  /** Everything this project's operations do, as typed events (progress, logs, dashboards). */
  readonly events: FerryEvents;
  readonly #ctx: ApiContext;

  constructor(config: ResolvedProject, events: FerryEvents) {
    this.config = config;
    this.events = events;
    this.#ctx = new ApiContext(config, events);
  }

  /** The project folder. */
  get dir(): string {
    return this.config.dir;
  }

  /** Add flows (files, builders, specs) in one transaction; nothing is written if one is invalid. */
  add(flows: FlowInput | readonly FlowInput[]): Promise<AddedFlow[]> {
    return addFlows(this.#ctx, flows);
  }

  /** Convert a FireWorks workflow file and add it (or, with `write`, only write the ferry flow). */
  importFireworks(file: string, options: { write?: string } = {}): Promise<FireworksImport> {
    return importFireworks(this.#ctx, file, options);
  }

  /** Run READY jobs on this machine (a pull worker) until none is left or a limit is reached. */
  launch(options: run.LaunchRequest = {}): Promise<run.LaunchSummary> {
    return run.launchJobs(this.#ctx, options);
  }

  /** Jobs matching the selection (every job but archived ones when it is empty), by id. */
  jobs(selection: Selection = {}, page: reads.Page = {}): Promise<Job[]> {
    return reads.listJobs(this.#ctx, selection, page);
  }

  /** One job with its parents, children, runs and history. NotFoundError when there is none. */
  job(id: number, options: { archivedRuns?: boolean } = {}): Promise<reads.JobDetails> {
    return reads.jobDetails(this.#ctx, id, options);
  }

  /** Flows, newest first, with their derived state and when a job of theirs last changed. */
  flows(query: reads.FlowQuery = {}): Promise<FlowSummary[]> {
    return reads.listFlows(this.#ctx, query);
  }

  /** One flow with its jobs and edges. NotFoundError when there is none. */
  flow(id: number): Promise<reads.FlowDetails> {
    return reads.flowDetails(this.#ctx, id);
  }

  /** Job state changes after an event id, oldest first (a feed that survives reconnects). */
  changes(query: reads.ChangesQuery = {}): Promise<{ changes: reads.JobChange[]; last: number }> {
    return reads.jobChanges(this.#ctx, query);
  }

  /** Archive the jobs' runs and reset them and their descendants; refuses to orphan live runs. */
  rerun(selection: Selection, options: control.RerunRequest = {}): Promise<control.RerunReport> {
    return control.rerun(this.#ctx, selection, options);
  }

  /** Cancel jobs that have not finished; live runs are stopped; children do not run. */
  cancel(selection: Selection, options: control.DryRunOption = {}): Promise<control.ChangeReport> {
    return control.simpleChange(this.#ctx, "cancel", selection, options);
  }

  /** Hold WAITING or READY jobs until `resume`. */
  pause(selection: Selection, options: control.DryRunOption = {}): Promise<control.ChangeReport> {
    return control.simpleChange(this.#ctx, "pause", selection, options);
  }

  /** Release paused jobs. */
  resume(selection: Selection, options: control.DryRunOption = {}): Promise<control.ChangeReport> {
    return control.simpleChange(this.#ctx, "resume", selection, options);
  }

  /** Bring cancelled jobs back (FireWorks' reignite). */
  reignite(selection: Selection, options: control.DryRunOption = {}): Promise<control.ChangeReport> {
    return control.simpleChange(this.#ctx, "reignite", selection, options);
  }

  /** Release HELD jobs (a refused submission, an infrastructure failure past its retries). */
  retry(selection: Selection, options: control.DryRunOption = {}): Promise<control.ChangeReport> {
    return control.simpleChange(this.#ctx, "retry", selection, options);
  }

  /** Archive jobs (kept, hidden from lists, never run); `force` stops live runs first. */
  archive(selection: Selection, options: control.DryRunOption & { force?: boolean } = {}) {
    return control.archive(this.#ctx, selection, options);
  }

  /** Delete jobs, their descendants, runs and history; `files` also removes launch directories. */
  delete(selection: Selection, options: control.DryRunOption & { force?: boolean; files?: boolean } = {}) {
    return control.remove(this.#ctx, selection, options);
  }

  /** Set the jobs' priority (higher runs first). */
  setPriority(selection: Selection, priority: number, options: control.DryRunOption = {}) {
    return control.setPriority(this.#ctx, selection, priority, options);
  }

  /** Edit inputs, resources or priority of jobs that have not run (or failed). */
  update(selection: Selection, options: control.DryRunOption & { set: control.RerunRequest["set"] }) {
    return control.update(this.#ctx, selection, options);
  }

  /** Find runs whose launcher or heartbeat went silent; collect finished ones; fail or rerun lost ones. */
  detectLost(
    options: { fail?: boolean; rerun?: boolean; taskLevel?: boolean } = {},
  ): Promise<run.LostReport> {
    return run.detectLost(this.#ctx, options);
  }

  /** Jobs started, completed, failed and cancelled per interval, and the states now. */
  report(options: { interval?: string; count?: number } = {}): Promise<Report> {
    return report(this.#ctx, options);
  }

  /** The tail of each task's stdout and stderr in a job's latest run. */
  logs(jobId: number, options: LogsRequest = {}): Promise<Logs> {
    return readLogs(this.#ctx, jobId, options);
  }

  /** Hand a running job's new output to `write` until its run ends. */
  followLogs(
    jobId: number,
    options: LogsRequest & { write: (text: string) => void; signal?: AbortSignal; after?: Logs },
  ): Promise<void> {
    return followLogs(this.#ctx, jobId, options);
  }

  /** Offline mode: reserve READY jobs, write their bundles, submit them to the worker's scheduler. */
  submitOffline(options: offline.SubmitRequest = {}): Promise<offline.SubmitSummary> {
    return offline.submitOffline(this.#ctx, options);
  }

  /** Offline mode: collect what the active runs' launch directories say (safe to repeat). */
  recoverOffline(options: { worker?: string } = {}): Promise<offline.RecoverSummary> {
    return offline.recoverOffline(this.#ctx, options);
  }

  /** How many offline runs `recoverOffline` would examine. */
  activeOfflineRuns(worker?: string): Promise<number> {
    return offline.activeOfflineRuns(this.#ctx, worker);
  }

  /** Offline mode: stop recovering the selected jobs' runs. */
  forgetOffline(selection: Selection, options: { dryRun?: boolean } = {}): Promise<offline.ForgetReport> {
    return offline.forgetOffline(this.#ctx, selection, options);
  }

  /** Submit pilot jobs that run `ferry launch` on compute nodes (FireWorks' qlaunch). */
  qlaunch(mode: "singleshot" | "rapidfire", options: run.QlaunchRequest = {}): Promise<run.QlaunchSummary> {
    return run.qlaunch(this.#ctx, mode, options);
  }

  /**
   * The runner daemon that drives managed workers: run one here (`run`), stop every runner of
   * the project from any machine (`stop`), their state (`status`) and logs (`logs`).
   */
  get runner(): ProjectRunner {
    const ctx = this.#ctx;
    return {
      run: (o = {}) => runnerApi.runRunner(ctx, o),
      login: (o) => runnerApi.loginWorkers(ctx, o),
      stop: (o = {}) => runnerApi.stopRunners(ctx, o),
      status: () => runnerApi.runnerStatus(ctx),
      logs: (o) => runnerApi.runnerLogs(ctx, o),
      paths: () => runnerApi.runnerPaths(ctx),
    };
  }

  /** Close the database connection. The project cannot be used afterwards. */
  close(): Promise<void> {
    return this.#ctx.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
