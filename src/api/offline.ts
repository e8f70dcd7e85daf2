/** Offline mode: submit bundles to a batch system, recover their results, forget runs. */
import type { RecoverSummary } from "../offline/recover.ts";
import type { SubmitSummary } from "../offline/submit.ts";
import type { ApiContext } from "./context.ts";
import { positiveInteger } from "./run.ts";
import { type Selection, selectJobIds } from "./selection.ts";
import { checkWorkerName, workerOfMode } from "./workers.ts";

export type { RecoverSummary, SubmitSummary };

export interface SubmitRequest {
  /** An offline worker (default: the first one). */
  worker?: string;
  /** Submit at most this many jobs now. */
  maxJobs?: number;
  /** Only these jobs (if READY). */
  ids?: readonly number[];
}

export async function submitOffline(ctx: ApiContext, o: SubmitRequest = {}): Promise<SubmitSummary> {
  const worker = workerOfMode(
    ctx.project,
    o.worker,
    "offline",
    "ferry offline submit",
    (w) => w.mode === "offline",
  );
  const maxJobs = positiveInteger(o.maxJobs, "maxJobs");
  for (const id of o.ids ?? []) positiveInteger(id, "job ids");
  const store = await ctx.store();
  const { offlineSubmit } = await import("../offline/submit.ts");
  return offlineSubmit(store, ctx.project, worker, {
    ...(maxJobs !== undefined ? { maxJobs } : {}),
    ...(o.ids ? { jobIds: o.ids } : {}),
    events: ctx.events,
  });
}

/** Runs `recoverOffline` would examine (for a progress bar's total). */
export async function activeOfflineRuns(ctx: ApiContext, worker?: string): Promise<number> {
  checkWorkerName(worker);
  const store = await ctx.store();
  return (
    await store.findRuns({
      states: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      modes: ["offline"],
      ...(worker !== undefined ? { workers: [worker] } : {}),
    })
  ).length;
}

/** Read the launch directories of active offline runs and update their jobs (safe to repeat). */
export async function recoverOffline(ctx: ApiContext, o: { worker?: string } = {}): Promise<RecoverSummary> {
  if (o.worker !== undefined) workerOfMode(ctx.project, o.worker, "offline", "ferry offline recover");
  const store = await ctx.store();
  const { offlineRecover } = await import("../offline/recover.ts");
  return offlineRecover(store, ctx.project, {
    ...(o.worker !== undefined ? { worker: o.worker } : {}),
    events: ctx.events,
  });
}

export interface ForgetReport {
  dryRun: boolean;
  matched: number;
  /** Runs no longer recovered (a dry run: the jobs whose runs would be). */
  runIds: number[];
}

/** Stop recovering the selected jobs' offline runs; the jobs stay as they are until rerun or cancel. */
export async function forgetOffline(
  ctx: ApiContext,
  sel: Selection,
  o: { dryRun?: boolean } = {},
): Promise<ForgetReport> {
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "offline forget");
  if (o.dryRun) {
    const runs = [...(await store.currentRuns(ids)).values()].filter(
      (r) =>
        r.mode !== "pull" &&
        !r.forgotten &&
        ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"].includes(r.state),
    );
    return { dryRun: true, matched: ids.length, runIds: runs.map((r) => r.id) };
  }
  const { forgetRuns } = await import("../offline/forget.ts");
  return { dryRun: false, matched: ids.length, ...(await forgetRuns(store, ids)) };
}
