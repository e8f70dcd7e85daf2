/** `ferry launch`: run READY jobs on this machine (see launcher/launch.ts). */
import { getWorker } from "../../config/load.ts";
import { type LaunchSummary, launch } from "../../launcher/launch.ts";
import { UsageError } from "../../model/errors.ts";
import type { Context } from "../context.ts";
import { attachProgress } from "../progress.ts";

export interface LaunchCommandOptions {
  once?: boolean;
  maxJobs?: string;
  timeout?: string;
  concurrency?: string;
  worker?: string;
  category?: string[];
  quiet?: boolean;
  run?: string;
  flow?: string[];
}

function positive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got "${text}"`);
  return n;
}

function flowIds(texts: readonly string[]): number[] {
  return texts.map((t) => {
    const n = Number(t);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--flow needs flow ids, got "${t}"`);
    return n;
  });
}

export async function launchCommand(ctx: Context, o: LaunchCommandOptions): Promise<LaunchSummary> {
  const project = ctx.project();
  const worker = getWorker(project, o.worker);
  const store = await ctx.store();
  const stop = new AbortController();
  const abort = new AbortController();
  let presses = 0;
  const onSigint = () => {
    presses++;
    if (presses === 1) {
      ctx.events.emit("launcher:stopping", {
        reason: "Ctrl+C: no new jobs; waiting for running jobs (Ctrl+C again to interrupt them)",
        running: 0,
      });
      stop.abort();
    } else if (presses === 2) {
      ctx.events.emit("launcher:stopping", { reason: "Ctrl+C: interrupting running jobs", running: 0 });
      abort.abort();
    }
  };
  const onSigterm = () => {
    stop.abort();
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  const progress = attachProgress(ctx.events, ctx.out, { quiet: o.quiet === true });
  try {
    const maxJobs = positive(o.maxJobs, "--max-jobs");
    const timeout = positive(o.timeout, "--timeout");
    const concurrency = positive(o.concurrency, "--concurrency");
    return await launch(store, {
      project,
      worker,
      events: ctx.events,
      ...(o.once ? { once: true } : {}),
      ...(maxJobs !== undefined ? { maxJobs } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(o.category ? { categories: o.category } : {}),
      ...(o.run !== undefined ? { runId: Number(o.run) } : {}),
      ...(o.flow ? { flowIds: flowIds(o.flow) } : {}),
      stop: stop.signal,
      abort: abort.signal,
    });
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  }
}
