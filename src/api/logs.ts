/**
 * The tail of each task's stdout and stderr in a job's latest (or a chosen) run, and the text
 * they print next until the run ends.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { bundlePaths } from "../bundle/layout.ts";
import { NotFoundError, UsageError } from "../model/errors.ts";
import type { Job, Run } from "../model/types.ts";
import type { ApiContext } from "./context.ts";

export interface LogsRequest {
  /** Only this task (0-based). */
  task?: number;
  /** Lines per stream (default 40). */
  lines?: number;
  /** An earlier run of the job instead of the latest. */
  runId?: number;
}

export interface Logs {
  job: { id: number; name: string };
  run: { id: number; state: Run["state"]; launchDir: string };
  tasks: { task: number; stdout: string; stderr: string }[];
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return "";
  const text = readFileSync(file, "utf8");
  const all = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  return all.slice(-lines).join("\n");
}

async function target(
  ctx: ApiContext,
  jobId: number,
  o: LogsRequest,
): Promise<{ job: Job; run: Run; dir: string }> {
  const store = await ctx.store();
  const job = await store.getJob(jobId);
  if (!job) throw new NotFoundError(`no job with id ${jobId}`);
  const runs = await store.runsOfJobs([jobId], { includeArchived: true });
  const run = o.runId !== undefined ? runs.find((r) => r.id === o.runId) : runs.at(-1);
  if (!run)
    throw new NotFoundError(
      o.runId !== undefined
        ? `job ${jobId} has no run ${o.runId}`
        : `job ${jobId} "${job.name}" has not run yet`,
    );
  if (!run.launchDir) throw new NotFoundError(`run ${run.id} has no launch directory yet`);
  return { job, run, dir: run.launchDir };
}

export async function readLogs(ctx: ApiContext, jobId: number, o: LogsRequest = {}): Promise<Logs> {
  const lines = o.lines ?? 40;
  if (!Number.isSafeInteger(lines) || lines <= 0)
    throw new UsageError(`--lines must be a positive integer, got ${lines}`);
  const { job, run, dir } = await target(ctx, jobId, o);
  if (o.task !== undefined && !(Number.isSafeInteger(o.task) && o.task >= 0 && o.task < job.tasks.length))
    throw new NotFoundError(
      `job ${job.id} "${job.name}" has tasks 0 to ${job.tasks.length - 1}, not ${o.task}`,
    );
  const p = bundlePaths(dir);
  const tasks =
    o.task !== undefined
      ? [o.task]
      : job.tasks.map((_, i) => i).filter((i) => existsSync(p.task(i).dir) && existsSync(p.task(i).stdout));
  return {
    job: { id: job.id, name: job.name },
    run: { id: run.id, state: run.state, launchDir: dir },
    tasks: tasks.map((i) => ({
      task: i,
      stdout: tail(p.task(i).stdout, lines),
      stderr: tail(p.task(i).stderr, lines),
    })),
  };
}

/** Hand each stream's new text to `write` until the run ends (or `signal` aborts). */
export async function followLogs(
  ctx: ApiContext,
  jobId: number,
  o: LogsRequest & { write: (text: string) => void; signal?: AbortSignal; pollMs?: number },
): Promise<void> {
  const { job, run, dir } = await target(ctx, jobId, o);
  const store = await ctx.store();
  const p = bundlePaths(dir);
  const offsets = new Map<string, number>();
  for (const i of job.tasks.keys())
    for (const s of ["stdout", "stderr"] as const) {
      const f = p.task(i)[s];
      offsets.set(f, existsSync(f) ? statSync(f).size : 0);
    }
  while (!o.signal?.aborted) {
    for (const [file, offset] of offsets) {
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      if (size > offset) {
        o.write(readFileSync(file).subarray(offset, size).toString("utf8"));
        offsets.set(file, size);
      }
    }
    if (existsSync(p.result)) return;
    const current = (await store.getRun(run.id))?.state;
    if (current && !["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"].includes(current)) return;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}
