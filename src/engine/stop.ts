/**
 * Stop live runs before a job is rerun or cancelled, so no run is orphaned (FireWorks reruns a
 * RUNNING firework by archiving its launch: the old process keeps running, its result is dropped
 * and a second copy may start in the same directory — `LaunchPad.rerun_fw` in fireworks/core/launchpad.py).
 *
 * A run whose result is already written (it finished, nobody collected it yet) is collected
 * first (`collectWritten`, before the deciding transaction), through the caller's transport: a forced rerun then archives a COMPLETED run with its
 * outputs, instead of recording it CANCELLED and dropping the work. Every other live run is
 * marked CANCELLED in the database: from then on its result, if it still arrives, is kept on the
 * run for the record but never applied (engine/outcome.ts). Then the process is asked to stop:
 *  - pull runs on the transport's host: SIGTERM to the process group of the pid in
 *    started.json — run.sh with its tasks (its trap records the signal), or a task the
 *    launcher supervises with everything it started;
 *  - pull runs on another host: their launcher sees the run is no longer RUNNING at its next
 *    lease beat and stops it (launcher/launch.ts);
 *  - offline/managed runs: the scheduler job is cancelled (scancel, qdel, bkill, kill) through
 *    the `cancelScheduled` callback the caller provides.
 */
import { collectOutcome, readRunFiles } from "../bundle/collect.ts";
import { errorMessage } from "../model/errors.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import { type Run, runError } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { wrapperAlive } from "./lifecycle/owner.ts";
import { applyOutcome, outcomeFromBundle } from "./outcome.ts";

export interface StopOptions {
  reason: string;
  /**
   * The machine the caller runs on: launch directories are read through it and pull runs whose
   * host it is are signalled through it. Without one, only the database changes (and pull runs
   * are left for their launcher to stop at its next beat).
   */
  transport?: Transport;
  /** Cancel a scheduler job (offline/managed runs); reports problems by throwing. */
  cancelScheduled?: (runs: readonly Run[]) => Promise<void>;
  now?: number;
}

export interface StopReport {
  /** Runs whose result was already written: collected, not cancelled. */
  collected: number[];
  /** Runs marked CANCELLED. */
  cancelled: number[];
  /** Runs whose process was signalled here. */
  signalled: number[];
  /** Runs whose launcher on another host will stop them at its next beat. */
  delegated: number[];
  /** Runs whose scheduler job was cancelled. */
  scheduled: number[];
  problems: string[];
}

/**
 * Collect the results already written by any of these runs (before they are cancelled: a forced
 * rerun must not drop finished work); returns the runs collected.
 */
export async function collectWritten(
  store: Store,
  t: Transport,
  runs: readonly Run[],
  report: Pick<StopReport, "collected" | "problems">,
): Promise<Set<number>> {
  const jobs = new Map((await store.getJobs(runs.map((r) => r.jobId))).map((j) => [j.id, j]));
  const done = new Set<number>();
  for (const r of runs) {
    const job = jobs.get(r.jobId);
    if (!r.launchDir || !job) continue;
    try {
      const files = await readRunFiles(t, r.launchDir, r.id);
      if (!files.result) continue;
      const outcome = outcomeFromBundle(
        files,
        await collectOutcome(t, r.launchDir, files.result, job.tasks, job.recovery),
      );
      await store.transaction((tx) => applyOutcome(tx, r.id, outcome, Date.now()));
      done.add(r.id);
      report.collected.push(r.id);
    } catch (e) {
      report.problems.push(`run ${r.id}: cannot read its result: ${errorMessage(e)}`);
    }
  }
  return done;
}

/**
 * Mark live runs CANCELLED inside the caller's transaction (so a command decides and cancels in
 * one transaction: a launcher claiming in between cannot slip a run past it). Returns the runs
 * that were still live and are now CANCELLED; their processes are stopped after the commit by
 * `stopProcesses`.
 */
export async function cancelRuns(
  tx: StoreOps,
  runs: readonly Run[],
  reason: string,
  now: number,
): Promise<Run[]> {
  const live = runs.filter((r) => (ACTIVE_RUN_STATES as readonly string[]).includes(r.state));
  const error = runError("cancelled", reason);
  const cancelled: Run[] = [];
  for (const r of live) {
    const n = await tx.updateRuns(
      [r.id],
      { state: "CANCELLED", finishedAt: now, error, leaseExpiresAt: null },
      now,
      { states: ACTIVE_RUN_STATES },
    );
    if (n > 0) cancelled.push(r);
  }
  return cancelled;
}

/** After the commit: signal the wrappers here, delegate the others, cancel scheduler jobs. */
export async function stopProcesses(
  cancelled: readonly Run[],
  o: StopOptions,
  collected: readonly number[] = [],
): Promise<StopReport> {
  const report: StopReport = {
    collected: [...collected],
    cancelled: cancelled.map((r) => r.id),
    signalled: [],
    delegated: [],
    scheduled: [],
    problems: [],
  };
  const t = o.transport;
  const scheduled: Run[] = [];
  for (const r of cancelled) {
    if (r.mode !== "pull") {
      if (r.schedulerId) scheduled.push(r);
      continue;
    }
    if (!t || r.host !== t.host) {
      report.delegated.push(r.id);
      continue;
    }
    if (!r.launchDir) continue;
    const files = await readRunFiles(t, r.launchDir, r.id);
    const pid = files.started?.pid;
    if (pid && !files.result && (await wrapperAlive(t, r, files.started!))) {
      // the process group: a supervised task's whole tree, or run.sh with its tasks (run.sh
      // records the signal either way)
      if ((await t.signal(-pid, "SIGTERM")) || (await t.signal(pid, "SIGTERM"))) report.signalled.push(r.id);
      else report.problems.push(`run ${r.id}: cannot signal pid ${pid}`);
    }
  }
  if (scheduled.length > 0) {
    if (!o.cancelScheduled) {
      report.problems.push(
        `runs ${scheduled.map((r) => r.id).join(", ")}: no way to cancel their scheduler jobs here`,
      );
    } else {
      try {
        await o.cancelScheduled(scheduled);
        report.scheduled.push(...scheduled.map((r) => r.id));
      } catch (e) {
        report.problems.push(`cancelling scheduler jobs failed: ${errorMessage(e)}`);
      }
    }
  }
  return report;
}

/** Collect what finished, cancel the rest and stop their processes (detect-lost, the runner). */
export async function stopLiveRuns(store: Store, runs: readonly Run[], o: StopOptions): Promise<StopReport> {
  const problems: string[] = [];
  const got = { collected: [] as number[], problems };
  const done = o.transport ? await collectWritten(store, o.transport, runs, got) : new Set<number>();
  const now = o.now ?? Date.now();
  const cancelled = await store.transaction((tx) =>
    cancelRuns(
      tx,
      runs.filter((r) => !done.has(r.id)),
      o.reason,
      now,
    ),
  );
  const report = await stopProcesses(cancelled, o, got.collected);
  report.problems.unshift(...problems);
  return report;
}
