/**
 * `ferry launch`: run READY jobs on this machine. Ctrl+C once stops claiming and lets running
 * jobs finish; twice (or SIGTERM, as a batch system sends at walltime) interrupts them — they
 * go back to READY. Stopped by a signal, launch exits 130 after its summary, so a pilot script
 * can tell an interrupted launch from a finished one.
 */
import type { CliContext } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { fmt, json, plural } from "../output.ts";
import { attachProgress } from "../progress.ts";

export interface LaunchFlags {
  once?: boolean;
  maxJobs?: number;
  timeout?: number;
  concurrency?: number;
  worker?: string;
  category?: string[];
  run?: number;
  quiet?: boolean;
  flow?: number[];
  json?: boolean;
}

export async function launch(ctx: CliContext, o: LaunchFlags): Promise<number> {
  const project = await ctx.project();
  const stop = new AbortController();
  const abort = new AbortController();
  let signalled = false;
  let presses = 0;
  const onSigint = () => {
    signalled = true;
    presses++;
    if (presses === 1) {
      project.events.emit("launcher:stopping", {
        reason: "Ctrl+C: no new jobs; waiting for running jobs (Ctrl+C again to interrupt them)",
        running: 0,
      });
      stop.abort();
    } else if (presses === 2) {
      project.events.emit("launcher:stopping", { reason: "Ctrl+C: interrupting running jobs", running: 0 });
      abort.abort();
    }
  };
  const onSigterm = () => {
    signalled = true;
    stop.abort();
    abort.abort();
  };
  // the scheduler's walltime warning (run.sh traps the same two): relayed to running jobs
  const warnings = new EventTarget();
  const onWarning = () => warnings.dispatchEvent(new Event("warning"));
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("SIGUSR1", onWarning);
  process.on("SIGUSR2", onWarning);
  const env = ctx.env;
  const schedulerJobId = env.SLURM_JOB_ID || env.PBS_JOBID || env.JOB_ID || env.LSB_JOBID || "";
  const progress = attachProgress(project.events, ctx.out, { quiet: o.quiet === true });
  let summary: Awaited<ReturnType<typeof project.launch>>;
  try {
    summary = await project.launch({
      ...(o.worker !== undefined ? { worker: o.worker } : {}),
      ...(o.once ? { once: true } : {}),
      ...(o.maxJobs !== undefined ? { maxJobs: o.maxJobs } : {}),
      ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.category ? { categories: o.category } : {}),
      ...(o.run !== undefined ? { runId: o.run } : {}),
      ...(o.flow ? { flowIds: o.flow } : {}),
      stop: stop.signal,
      abort: abort.signal,
      schedulerJobId,
      warnings,
      // benchmark switches (bench/dispatch.ts): one run.sh per job; tasks started by the
      // task-shell spawner, or forked by the launcher
      ...(env.FERRY_LAUNCH_WRAPPER === "1" ? { supervise: false } : {}),
      ...(env.FERRY_LAUNCH_SPAWNER === "0" ? { spawner: false } : {}),
      ...(env.FERRY_LAUNCH_SPAWNER === "shell" ? { spawner: "shell" as const } : {}),
    });
  } finally {
    progress.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    process.off("SIGUSR1", onWarning);
    process.off("SIGUSR2", onWarning);
  }
  const s = summary;
  if (o.json) ctx.out.write(json(s));
  else {
    for (const a of s.abandoned)
      ctx.out.write(
        fmt`found job ${a.jobId} ${a.name} (run ${a.runId}) abandoned: ${a.why} — ${a.found === "lost" ? "no result: FAILED as lost" : `its result collected: ${a.state}`}\n`,
      );
    ctx.out.write(
      `launched ${plural(s.claimed, "job")}: ${s.completed} completed, ${s.failed} failed${s.interrupted ? `, ${s.interrupted} interrupted (back to READY)` : ""}${s.stopped ? `, ${s.stopped} stopped from elsewhere` : ""}${s.abandoned.length ? `; ${plural(s.recovered, "abandoned run")} recovered, ${s.lost} lost` : ""}${signalled ? " — stopped by a signal" : ""}\n`,
    );
  }
  if (signalled) return EXIT.interrupted;
  // a job found abandoned with no result failed too: say so with the exit code a script checks
  return s.failed > 0 || s.lost > 0 ? EXIT.jobsFailed : EXIT.ok;
}
