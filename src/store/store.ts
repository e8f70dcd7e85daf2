/**
 * The store contract, in domain terms. The engine calls `claimReady`, `transitionJobs`,
 * `releaseChildren`, … inside `transaction`; it never sees SQL or a connection. One
 * implementation serves both dialects: the SQL lives in queries/, written once, and the small
 * dialect differences (JSON paths, SKIP LOCKED) come from sqlite/dialect.ts and postgres/dialect.ts.
 */
import { deriveFlowState } from "../model/flow-state.ts";
import type { JsonObject, JsonValue } from "../model/json.ts";
import type { JobState } from "../model/states.ts";
import type { FlowSummary, Job, JobEvent, Run } from "../model/types.ts";
import { type Claimed, type ClaimOptions, claimReady, countClaimable } from "./queries/claim.ts";
import * as edges from "./queries/edges.ts";
import * as events from "./queries/events.ts";
import * as flows from "./queries/flows.ts";
import type { JobFilter } from "./queries/job-filter.ts";
import * as jobs from "./queries/jobs.ts";
import * as polls from "./queries/polls.ts";
import * as runners from "./queries/runners.ts";
import * as runs from "./queries/runs.ts";
import * as transitions from "./queries/transitions.ts";
import type { Db, SqlClient } from "./sql.ts";

export type { Claimed, ClaimOptions } from "./queries/claim.ts";
export type { NewJobEvent } from "./queries/events.ts";
export type { JobFilter } from "./queries/job-filter.ts";
export type { FindOptions, JobPatch, NewJob } from "./queries/jobs.ts";
export type { DbRunner, DbRunnerWorker, WorkerRunState, WorkerStatePatch } from "./queries/runners.ts";
export type { NewRun, RunGuard, RunPatch, RunQuery } from "./queries/runs.ts";
export type { TransitionOptions } from "./queries/transitions.ts";

let savepointCounter = 0;

/** Every store operation, bound to a connection or to an open transaction. */
export class StoreOps {
  protected readonly c: SqlClient;
  constructor(c: SqlClient) {
    this.c = c;
  }

  get dialect(): "sqlite" | "postgres" {
    return this.c.dialect.name;
  }

  // flows
  insertFlow(name: string, metadata: JsonObject, now: number): Promise<number> {
    return flows.insertFlow(this.c, name, metadata, now);
  }
  touchFlows(ids: readonly number[], now: number): Promise<void> {
    return flows.touchFlows(this.c, ids, now);
  }
  deleteFlows(ids: readonly number[]): Promise<number> {
    return flows.deleteFlows(this.c, ids);
  }
  /** Flows with their derived state and per-state counts; newest first unless `ids` are given. */
  async flowSummaries(options: { ids?: readonly number[]; limit?: number } = {}): Promise<FlowSummary[]> {
    const list = await flows.listFlows(this.c, options);
    const ids = list.map((f) => f.id);
    const counts = await flows.flowStateCounts(this.c, ids);
    const failedIds = ids.filter((id) => (counts.get(id)?.counts.FAILED ?? 0) > 0);
    const blocking = await flows.blockingFailures(this.c, failedIds);
    return list.map((f) => {
      const c = counts.get(f.id)?.counts ?? {};
      return {
        ...f,
        updatedAt: Math.max(f.updatedAt, counts.get(f.id)?.lastChange ?? 0),
        counts: c,
        jobCount: Object.values(c).reduce<number>((a, b) => a + (b ?? 0), 0),
        state: deriveFlowState(c, blocking.get(f.id) ?? 0),
      };
    });
  }

  // jobs
  insertJobs(flowId: number, list: readonly jobs.NewJob[], now: number): Promise<Map<string, number>> {
    return jobs.insertJobs(this.c, flowId, list, now);
  }
  /** Refresh the planner's statistics of jobs after a large add (PostgreSQL; nothing on SQLite). */
  analyzeJobs(): Promise<void> {
    return jobs.analyzeJobs(this.c);
  }
  getJobs(ids: readonly number[], options: { forUpdate?: boolean } = {}): Promise<Job[]> {
    return jobs.getJobs(this.c, ids, options.forUpdate ?? false);
  }
  async getJob(id: number): Promise<Job | undefined> {
    return (await jobs.getJobs(this.c, [id]))[0];
  }
  findJobs(filter: JobFilter, options?: jobs.FindOptions): Promise<Job[]> {
    return jobs.findJobs(this.c, filter, options);
  }
  findJobStates(filter: JobFilter): Promise<{ id: number; flowId: number; state: JobState; name: string }[]> {
    return jobs.findJobStates(this.c, filter);
  }
  countJobs(filter: JobFilter): Promise<number> {
    return jobs.countJobs(this.c, filter);
  }
  countByState(): Promise<Partial<Record<JobState, number>>> {
    return jobs.countByState(this.c);
  }
  outputsByName(flowId: number, names: readonly string[]) {
    return jobs.outputsByName(this.c, flowId, names);
  }
  updateJobs(ids: readonly number[], patch: jobs.JobPatch, now: number): Promise<void> {
    return jobs.updateJobs(this.c, ids, patch, now);
  }
  completeOutputs(
    items: readonly { jobId: number; outputs: JsonValue | null }[],
    now: number,
  ): Promise<void> {
    return jobs.completeOutputs(this.c, items, now);
  }
  deleteJobs(ids: readonly number[]): Promise<number> {
    return jobs.deleteJobs(this.c, ids);
  }
  recountParents(ids: readonly number[]): Promise<void> {
    return jobs.recountParents(this.c, ids);
  }

  // graph
  insertEdges(pairs: readonly (readonly [number, number])[]): Promise<void> {
    return edges.insertEdges(this.c, pairs);
  }
  deleteEdges(pairs: readonly (readonly [number, number])[]): Promise<void> {
    return edges.deleteEdges(this.c, pairs);
  }
  parentsOf(ids: readonly number[]): Promise<Map<number, number[]>> {
    return edges.parentsOf(this.c, ids);
  }
  childrenOf(ids: readonly number[]): Promise<Map<number, number[]>> {
    return edges.childrenOf(this.c, ids);
  }
  descendantsOf(ids: readonly number[]): Promise<number[]> {
    return edges.descendantsOf(this.c, ids);
  }
  ancestorsOf(ids: readonly number[]): Promise<number[]> {
    return edges.ancestorsOf(this.c, ids);
  }
  edgesOfFlow(flowId: number): Promise<[number, number][]> {
    return edges.edgesOfFlow(this.c, flowId);
  }

  // state
  transitionJobs(ids: readonly number[], options: transitions.TransitionOptions) {
    return transitions.transitionJobs(this.c, ids, options);
  }
  releaseChildren(
    parentIds: readonly number[],
    outcome: "COMPLETED" | "FAILED",
    now: number,
  ): Promise<number[]> {
    return transitions.releaseChildren(this.c, parentIds, outcome, now);
  }
  promoteReady(ids: readonly number[], now: number): Promise<number[]> {
    return transitions.promoteReady(this.c, ids, now);
  }
  demoteWaiting(ids: readonly number[], now: number): Promise<number[]> {
    return transitions.demoteWaiting(this.c, ids, now);
  }
  insertEvents(list: readonly events.NewJobEvent[], now: number): Promise<void> {
    return events.insertEvents(this.c, list, now);
  }
  getEvents(jobId: number): Promise<JobEvent[]> {
    return events.getEvents(this.c, jobId);
  }
  eventsSince(since: number, states: readonly JobState[]) {
    return events.eventsSince(this.c, since, states);
  }
  /** Job state changes with an id above `afterId`, oldest first, with each job's flow. */
  eventsAfter(afterId: number, limit: number) {
    return events.eventsAfter(this.c, afterId, limit);
  }

  // claims and runs
  claimReady(options: ClaimOptions): Promise<Claimed[]> {
    return claimReady(this.c, options);
  }
  countClaimable(
    worker: string | null,
    categories: readonly string[],
    flowIds?: readonly number[],
  ): Promise<number> {
    return countClaimable(this.c, worker, categories, flowIds);
  }
  insertRuns(list: readonly runs.NewRun[], now: number): Promise<Map<number, number>> {
    return runs.insertRuns(this.c, list, now);
  }
  updateRuns(
    ids: readonly number[],
    patch: runs.RunPatch,
    now: number,
    onlyIf?: runs.RunGuard,
  ): Promise<number> {
    return runs.updateRuns(this.c, ids, patch, now, onlyIf);
  }
  finishRun(runId: number, patch: runs.RunPatch, now: number): Promise<number | null> {
    return runs.finishRun(this.c, runId, patch, now);
  }
  finishRuns(
    items: readonly { runId: number; patch: runs.RunPatch }[],
    now: number,
  ): Promise<Map<number, number>> {
    return runs.finishRuns(this.c, items, now);
  }
  takePollSlot(worker: string, now: number, minIntervalMs: number): Promise<polls.PollSlot> {
    return polls.takePollSlot(this.c, worker, now, minIntervalMs);
  }
  getRuns(ids: readonly number[]): Promise<Run[]> {
    return runs.getRuns(this.c, ids);
  }
  async getRun(id: number): Promise<Run | undefined> {
    return (await runs.getRuns(this.c, [id]))[0];
  }
  runsOfJobs(jobIds: readonly number[], options?: { includeArchived?: boolean }): Promise<Run[]> {
    return runs.runsOfJobs(this.c, jobIds, options);
  }
  currentRuns(jobIds: readonly number[]): Promise<Map<number, Run>> {
    return runs.currentRuns(this.c, jobIds);
  }
  findRuns(query: runs.RunQuery): Promise<Run[]> {
    return runs.findRuns(this.c, query);
  }
  renewLeases(owner: string, expiresAt: number, now: number): Promise<number> {
    return runs.renewLeases(this.c, owner, expiresAt, now);
  }
  archiveRuns(jobIds: readonly number[], now: number): Promise<number> {
    return runs.archiveRuns(this.c, jobIds, now);
  }

  // the runner daemon's leases
  listRunners(): Promise<runners.DbRunner[]> {
    return runners.listRunners(this.c);
  }
  getRunner(id: string): Promise<runners.DbRunner | undefined> {
    return runners.getRunner(this.c, id);
  }
  insertRunner(r: { id: string; host: string; pid: number; now: number; logPath: string | null }) {
    return runners.insertRunner(this.c, r);
  }
  heartbeatRunner(id: string, now: number): Promise<runners.DbRunner | undefined> {
    return runners.heartbeatRunner(this.c, id, now);
  }
  requestRunnerStop(id: string | null = null): Promise<number> {
    return runners.requestRunnerStop(this.c, id);
  }
  markRunnerStopped(id: string, now: number): Promise<void> {
    return runners.markRunnerStopped(this.c, id, now);
  }
  takeWorkerLease(worker: string, runnerId: string, now: number, expiresAt: number): Promise<boolean> {
    return runners.takeWorkerLease(this.c, worker, runnerId, now, expiresAt);
  }
  recordWorkerState(worker: string, runnerId: string, p: runners.WorkerStatePatch, now: number) {
    return runners.recordWorkerState(this.c, worker, runnerId, p, now);
  }
  listRunnerWorkers(): Promise<runners.DbRunnerWorker[]> {
    return runners.listRunnerWorkers(this.c);
  }
  releaseWorkerLease(worker: string, runnerId: string, now: number): Promise<boolean> {
    return runners.releaseWorkerLease(this.c, worker, runnerId, now);
  }
  reviveRunner(id: string, now: number): Promise<boolean> {
    return runners.reviveRunner(this.c, id, now);
  }
  renewRunnerClaims(owner: string, expiresAt: number, now: number): Promise<number> {
    return runners.renewRunnerClaims(this.c, owner, expiresAt, now);
  }

  /**
   * Run `fn` inside a savepoint of the current transaction: if it throws, only its own writes
   * are undone (a refused action must not leave half a graph edit behind).
   */
  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `sp_${++savepointCounter}`;
    await this.c.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await this.c.exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (e) {
      await this.c.exec(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.c.exec(`RELEASE SAVEPOINT ${name}`);
      throw e;
    }
  }
}

export class Store extends StoreOps implements AsyncDisposable {
  readonly db: Db;
  constructor(db: Db) {
    super(db);
    this.db = db;
  }

  get description(): string {
    return this.db.description;
  }

  /** Run `fn` in one transaction: every transition it makes is written together, or not at all. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return this.db.transaction((c) => fn(new StoreOps(c)));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
