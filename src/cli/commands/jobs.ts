/** `ferry jobs list|show`. */
import { replacementOutput } from "../../engine/resolve.ts";
import { NotFoundError } from "../../model/errors.ts";
import type { Job, JobEvent, Run } from "../../model/types.ts";
import type { JobFilter } from "../../store/store.ts";
import type { Context } from "../context.ts";

export async function listJobs(ctx: Context, filter: JobFilter, o: { limit?: number }): Promise<Job[]> {
  return (await ctx.store()).findJobs(filter, { limit: o.limit ?? 1_000_000 });
}

export interface JobDetails {
  job: Job;
  parents: { id: number; name: string; state: string }[];
  children: { id: number; name: string; state: string }[];
  /** Current run first is not guaranteed: runs are oldest first; archived ones only with --runs. */
  runs: Run[];
  events: JobEvent[];
  /** For a job whose output a `replace` action handed to a new sub-flow: what its children read. */
  replacement: Awaited<ReturnType<typeof replacementOutput>>;
}

export async function showJob(ctx: Context, id: number, o: { runs?: boolean }): Promise<JobDetails> {
  const store = await ctx.store();
  const job = await store.getJob(id);
  if (!job) throw new NotFoundError(`no job with id ${id}`);
  const parentIds = (await store.parentsOf([id])).get(id) ?? [];
  const childIds = (await store.childrenOf([id])).get(id) ?? [];
  const brief = (j: Job) => ({ id: j.id, name: j.name, state: j.state });
  return {
    job,
    parents: (await store.getJobs(parentIds)).map(brief),
    children: (await store.getJobs(childIds)).map(brief),
    runs: await store.runsOfJobs([id], { includeArchived: o.runs === true }),
    events: await store.getEvents(id),
    replacement: await replacementOutput(store, job),
  };
}
