/** `ferry flows list|show`. */
import { NotFoundError } from "../../model/errors.ts";
import type { FlowSummary, Job } from "../../model/types.ts";
import type { Context } from "../context.ts";

export async function listFlows(
  ctx: Context,
  o: { limit?: number; state?: string[] },
): Promise<FlowSummary[]> {
  const flows = await (await ctx.store()).flowSummaries({ limit: o.limit ?? 100 });
  const states = o.state?.map((s) => s.toUpperCase());
  return states ? flows.filter((f) => states.includes(f.state)) : flows;
}

export interface FlowDetails {
  flow: FlowSummary;
  jobs: Job[];
  edges: [number, number][];
}

export async function showFlow(ctx: Context, id: number): Promise<FlowDetails> {
  const store = await ctx.store();
  const [flow] = await store.flowSummaries({ ids: [id] });
  if (!flow) throw new NotFoundError(`no flow with id ${id}`);
  return {
    flow,
    jobs: await store.findJobs({ flowIds: [id], includeArchived: true }),
    edges: await store.edgesOfFlow(id),
  };
}
