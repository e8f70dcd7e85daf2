/** Reading jobs and flows: lists, details, and the feed of job state changes. */
import { replacedBy, replacementOutput } from "../engine/resolve.ts";
import { formatReference, parsePath } from "../flow/references.ts";
import { NotFoundError, UsageError } from "../model/errors.ts";
import { foreignState, foreignStateHint } from "../model/foreign-words.ts";
import type { FlowState, JobState } from "../model/states.ts";
import { didYouMean } from "../model/suggest.ts";
import type { FlowSummary, Job, JobEvent, Run } from "../model/types.ts";
import { globMatcher } from "../store/query/glob.ts";
import type { ApiContext } from "./context.ts";
import { checkExists, parseTime, type Selection, selectionFilter } from "./selection.ts";

export interface Page {
  /** At most this many (default: all). */
  limit?: number;
  /** Skip this many first. */
  offset?: number;
}

function checkPage(p: Page): { limit: number; offset: number } {
  const limit = p.limit ?? 1_000_000_000;
  const offset = p.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new UsageError(`limit must be a whole number ≥ 0, got ${limit}`);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new UsageError(`offset must be a whole number ≥ 0, got ${offset}`);
  return { limit, offset };
}

export async function listJobs(ctx: ApiContext, sel: Selection, page: Page = {}): Promise<Job[]> {
  const filter = selectionFilter(sel);
  const store = await ctx.store();
  await checkExists(store, filter);
  return store.findJobs(filter, checkPage(page));
}

/** A brief of a related job. */
export interface JobLink {
  id: number;
  name: string;
  state: JobState;
}

export interface JobDetails {
  job: Job;
  parents: JobLink[];
  children: JobLink[];
  /** Oldest first; archived runs (earlier attempts) only when asked for. */
  runs: Run[];
  /** Every state change, oldest first. */
  history: JobEvent[];
  /** For a job whose output a `replace` action handed to a new sub-flow: what its children read. */
  replacement: Awaited<ReturnType<typeof replacementOutput>>;
}

export async function jobDetails(
  ctx: ApiContext,
  id: number,
  o: { archivedRuns?: boolean } = {},
): Promise<JobDetails> {
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`a job id is a positive integer, got ${id}`);
  const store = await ctx.store();
  const job = await store.getJob(id);
  if (!job) throw new NotFoundError(`no job with id ${id}`);
  const parentIds = (await store.parentsOf([id])).get(id) ?? [];
  const childIds = (await store.childrenOf([id])).get(id) ?? [];
  const link = (j: Job): JobLink => ({ id: j.id, name: j.name, state: j.state });
  return {
    job,
    parents: (await store.getJobs(parentIds)).map(link),
    children: (await store.getJobs(childIds)).map(link),
    runs: await store.runsOfJobs([id], { includeArchived: o.archivedRuns === true }),
    history: await store.getEvents(id),
    replacement: await replacementOutput(store, job),
  };
}

export interface FlowQuery extends Page {
  /** Derived flow states (RUNNING, COMPLETED, FAILED, …). */
  states?: readonly string[];
  /** A glob over flow names. */
  name?: string;
  /** Changed at or after (same forms as a selection's `since`). */
  since?: number | Date | string;
  until?: number | Date | string;
}

/** Flows, newest first, with their derived state, counts and last change. */
export async function listFlows(ctx: ApiContext, q: FlowQuery = {}): Promise<FlowSummary[]> {
  const page = checkPage(q);
  const { FLOW_STATES } = await import("../model/states.ts");
  const states = q.states?.map((s) => {
    const up = s.toUpperCase();
    if (!(FLOW_STATES as readonly string[]).includes(up)) {
      // FireWorks' workflow states: get_wflows -s FIZZLED is flows list --state FAILED
      const foreign = foreignState(s);
      const hint =
        foreign && (FLOW_STATES as readonly string[]).includes(foreign.ferry)
          ? foreignStateHint(s)
          : didYouMean(up, FLOW_STATES);
      throw new UsageError(`unknown flow state "${s}"${hint}; flow states: ${FLOW_STATES.join(", ")}`);
    }
    return up as FlowState;
  });
  const name = q.name === undefined ? undefined : globMatcher(q.name);
  const since = q.since === undefined ? undefined : parseTime(q.since);
  const until = q.until === undefined ? undefined : parseTime(q.until);
  const store = await ctx.store();
  if (!states && !name && since === undefined && until === undefined)
    return (await store.flowSummaries({ limit: page.offset + page.limit })).slice(page.offset);
  const all = (await store.flowSummaries()).filter(
    (f) =>
      (!states || states.includes(f.state)) &&
      (!name || name(f.name)) &&
      (since === undefined || f.updatedAt >= since) &&
      (until === undefined || f.updatedAt < until),
  );
  return all.slice(page.offset, page.offset + page.limit);
}

export interface FlowDetails {
  flow: FlowSummary;
  /** Every job, archived ones included, by id. */
  jobs: Job[];
  /** [parent id, child id] */
  edges: [number, number][];
}

export async function flowDetails(ctx: ApiContext, id: number): Promise<FlowDetails> {
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new UsageError(`a flow id is a positive integer, got ${id}`);
  const store = await ctx.store();
  const [flow] = await store.flowSummaries({ ids: [id] });
  if (!flow) throw new NotFoundError(`no flow with id ${id}`);
  return {
    flow,
    jobs: await store.findJobs({ flowIds: [id], includeArchived: true }),
    edges: await store.edgesOfFlow(id),
  };
}

/** One job state change. `id` only grows: resume a feed with the last id seen. */
export interface JobChange extends JobEvent {
  flowId: number;
}

export interface ChangesQuery {
  /** Changes with a larger id (default 0: from the start). */
  after?: number;
  /** At most this many (default 1000). */
  limit?: number;
  /**
   * PostgreSQL only: hold back changes that follow a gap in the ids younger than this (ms,
   * default 3000). Ids come from a sequence when rows are written, but transactions commit in
   * their own order: a reader at id 50 may not see id 49 yet. A gap is waited for until its
   * successor is this old (a rolled-back transaction leaves a gap that never fills).
   */
  settleMs?: number;
}

/**
 * The job state changes after `after`, oldest first. A dashboard streams these as server-sent
 * events with the id as the event id: a reconnecting client resumes exactly where it stopped.
 */
export async function jobChanges(
  ctx: ApiContext,
  q: ChangesQuery = {},
): Promise<{ changes: JobChange[]; last: number }> {
  const after = q.after ?? 0;
  const limit = q.limit ?? 1000;
  if (!Number.isSafeInteger(after) || after < 0)
    throw new UsageError(`after must be an event id ≥ 0, got ${after}`);
  if (!Number.isSafeInteger(limit) || limit <= 0)
    throw new UsageError(`limit must be a positive integer, got ${limit}`);
  const store = await ctx.store();
  const rows = await store.eventsAfter(after, limit);
  const settle = store.dialect === "postgres" ? (q.settleMs ?? 3000) : 0;
  const now = Date.now();
  const out: JobChange[] = [];
  let prev = after;
  for (const r of rows) {
    // SQLite writers are serialised (BEGIN IMMEDIATE): ids commit in order and a gap is final
    if (settle > 0 && r.id !== prev + 1 && now - r.at < settle) break;
    out.push(r);
    prev = r.id;
  }
  return { changes: out, last: prev };
}

/**
 * For a COMPLETED job whose `replace` action handed its output to a new sub-flow: the reference
 * its children read (`sub-b.value`), else null.
 */
export function outputSource(job: Job): string | null {
  const marker = job.state === "COMPLETED" ? replacedBy(job.outputs) : null;
  return marker ? formatReference({ job: marker.job, path: parsePath(marker.path) }) : null;
}
