/** `ferry jobs list|show`. */
import type { CliContext } from "../context.ts";
import type { SelectorValues } from "../options.ts";
import { json } from "../output.ts";
import { printJob, printJobs } from "../print.ts";
import { selectionOf } from "../selection.ts";

export async function list(
  ctx: CliContext,
  o: SelectorValues & { limit?: number; offset?: number; json?: boolean },
): Promise<undefined> {
  const project = await ctx.project();
  const jobs = await project.jobs(selectionOf(o), {
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
  });
  if (o.json) ctx.out.write(json(jobs));
  else printJobs(ctx.out, jobs);
  return undefined;
}

export async function show(
  ctx: CliContext,
  o: { runs?: boolean; json?: boolean },
  [id]: readonly [number],
): Promise<undefined> {
  const d = await (await ctx.project()).job(id, { archivedRuns: o.runs === true });
  if (o.json) ctx.out.write(json(d));
  else printJob(ctx.out, d);
  return undefined;
}
