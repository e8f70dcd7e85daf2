/**
 * `ferry jobs logs ID`: the tail of each task's stdout and stderr in the job's latest run, and
 * with --follow, what they print next until the run ends.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { bundlePaths } from "../../bundle/layout.ts";
import { NotFoundError } from "../../model/errors.ts";
import type { Run } from "../../model/types.ts";
import type { Context } from "../context.ts";

export interface LogsOptions {
  task?: string;
  lines?: string;
  follow?: boolean;
  run?: string;
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  const all = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return all.slice(-lines).join("\n");
}

export async function jobLogs(
  ctx: Context,
  jobId: number,
  o: LogsOptions,
  write = (s: string) => ctx.out.write(s),
): Promise<void> {
  const store = await ctx.store();
  const job = await store.getJob(jobId);
  if (!job) throw new NotFoundError(`no job with id ${jobId}`);
  const runs = await store.runsOfJobs([jobId], { includeArchived: true });
  const run: Run | undefined = o.run ? runs.find((r) => r.id === Number(o.run)) : runs.at(-1);
  if (!run)
    throw new NotFoundError(
      o.run ? `job ${jobId} has no run ${o.run}` : `job ${jobId} "${job.name}" has not run yet`,
    );
  if (!run.launchDir) throw new NotFoundError(`run ${run.id} has no launch directory yet`);
  const p = bundlePaths(run.launchDir);
  const lines = o.lines ? Number(o.lines) : 40;
  const tasks =
    o.task !== undefined
      ? [Number(o.task)]
      : job.tasks.map((_, i) => i).filter((i) => existsSync(p.task(i).dir) && existsSync(p.task(i).stdout));
  write(`# job ${job.id} "${job.name}", run ${run.id} (${run.state}) in ${run.launchDir}\n`);
  for (const i of tasks) {
    for (const stream of ["stdout", "stderr"] as const) {
      const text = tail(p.task(i)[stream], lines);
      if (text !== "") write(`== task ${i} ${stream} ==\n${text}\n`);
    }
  }
  if (!o.follow) return;
  const offsets = new Map<string, number>();
  for (const i of job.tasks.keys())
    for (const s of ["stdout", "stderr"] as const) {
      const f = p.task(i)[s];
      offsets.set(f, existsSync(f) ? statSync(f).size : 0);
    }
  for (;;) {
    for (const [file, offset] of offsets) {
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      if (size > offset) {
        const fd = readFileSync(file);
        write(fd.subarray(offset, size).toString("utf8"));
        offsets.set(file, size);
      }
    }
    if (existsSync(p.result)) return;
    const current = (await store.getRun(run.id))?.state;
    if (current && !["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"].includes(current)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
