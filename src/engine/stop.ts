/**
 * Stop live runs before a job is rerun or cancelled, so no run is orphaned (FireWorks reruns a
 * RUNNING firework by archiving its launch: the old process keeps running, its result is dropped
 * and a second copy may start in the same directory — reference/fireworks.md §5.1).
 *
 * The run is marked CANCELLED first, in the database: from then on its result, if it still
 * arrives, is kept on the run for the record but never applied (engine/outcome.ts). Then the
 * process is asked to stop:
 *  - pull runs on this host: SIGTERM to the wrapper (its pid is in started.json); the wrapper
 *    kills the task tree and records the signal;
 *  - pull runs on another host: their launcher sees the run is no longer RUNNING at its next
 *    lease beat and stops it (launcher/launch.ts);
 *  - offline/managed runs: the scheduler job is cancelled (scancel, qdel, bkill, kill) through
 *    the `cancelScheduled` callback the caller provides.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { readRunFiles } from "../bundle/collect.ts";
import { bundlePaths } from "../bundle/layout.ts";
import { errorMessage } from "../model/errors.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { Run } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";

export interface StopOptions {
  reason: string;
  /** Cancel a scheduler job (offline/managed runs); reports problems by throwing. */
  cancelScheduled?: (runs: readonly Run[]) => Promise<void>;
  now?: number;
}

export interface StopReport {
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
 * Is `pid` still this run's wrapper? A PID from started.json may have been reused (pid_max is
 * 32768 on many machines and wraps within minutes under load), so check its command line names
 * the run's own script before signalling it.
 */
function isWrapper(pid: number, script: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(script);
  } catch {
    const ps = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" });
    return ps.status === 0 && ps.stdout.includes(script);
  }
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
  const error = {
    message: reason,
    stack: null,
    exitCode: null,
    signal: null,
    task: null,
    reason: "cancelled" as const,
  };
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
export async function stopProcesses(cancelled: readonly Run[], o: StopOptions): Promise<StopReport> {
  const report: StopReport = {
    cancelled: cancelled.map((r) => r.id),
    signalled: [],
    delegated: [],
    scheduled: [],
    problems: [],
  };
  const here = hostname();
  const local = new LocalTransport();
  const scheduled: Run[] = [];
  for (const r of cancelled) {
    if (r.mode !== "pull") {
      if (r.schedulerId) scheduled.push(r);
      continue;
    }
    if (r.host !== here) {
      report.delegated.push(r.id);
      continue;
    }
    if (!r.launchDir) continue;
    const files = await readRunFiles(local, r.launchDir, r.id);
    const pid = files.started?.pid;
    if (pid && !files.result && isWrapper(pid, bundlePaths(r.launchDir).script)) {
      try {
        process.kill(pid, "SIGTERM");
        report.signalled.push(r.id);
      } catch (e) {
        report.problems.push(`run ${r.id}: cannot signal pid ${pid}: ${errorMessage(e)}`);
      }
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

export async function stopLiveRuns(store: Store, runs: readonly Run[], o: StopOptions): Promise<StopReport> {
  const now = o.now ?? Date.now();
  const cancelled = await store.transaction((tx) => cancelRuns(tx, runs, o.reason, now));
  return stopProcesses(cancelled, o);
}
