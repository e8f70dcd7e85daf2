/**
 * Lost runs: a pull run whose launcher stopped renewing its lease (killed, machine gone), or an
 * offline run whose heartbeat file went stale. Detection takes seconds to minutes (the lease
 * and heartbeat periods), not FireWorks' 4 hours (reference/fireworks.md §8.4).
 *
 * Before calling a run lost, its launch directory is read when this machine can see it:
 *  - result.json exists → the job finished while nobody watched: its result is collected;
 *  - the wrapper process is alive on this host → not lost, only unattended (reported);
 *  - otherwise → lost; with --fail the job FAILS (its checkpoint kept for a task-level rerun),
 *    with --rerun it is rerun.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { collectOutcome, readRunFiles } from "../bundle/collect.ts";
import type { Checkpoint, Job, Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import { applyOutcome, outcomeFromBundle } from "./outcome.ts";
import { type RerunResult, rerunJobs } from "./rerun.ts";

export interface LostRun {
  run: Run;
  job: Job;
  why: string;
  /** What detection found: lost, finished (collected), or still alive here. */
  verdict: "lost" | "finished" | "alive";
  checkpoint: Checkpoint | null;
}

export interface DetectOptions {
  now?: number;
  /** Offline/managed runs whose heartbeat is older than this are lost (per worker). */
  heartbeatLimitMs?: (worker: string | null) => number;
  /** Only runs of these jobs. */
  jobIds?: readonly number[];
  /**
   * Also pull runs of launchers on this host whose process is gone, even before their lease
   * expires (a launcher restarting after a crash marks its own abandoned runs).
   */
  abandonedHere?: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function detectLost(store: Store, o: DetectOptions = {}): Promise<LostRun[]> {
  const now = o.now ?? Date.now();
  const here = hostname();
  const local = new LocalTransport();
  const candidates: { run: Run; why: string }[] = [];
  for (const run of await store.findRuns({ states: ["RUNNING"], modes: ["pull"] })) {
    const [ownerHost, ownerPid] = (run.leaseOwner ?? "").split(":");
    if (run.leaseExpiresAt !== null && run.leaseExpiresAt < now) {
      candidates.push({
        run,
        why: `its launcher (${run.leaseOwner ?? "?"}) has not renewed its lease since ${new Date(run.leaseExpiresAt).toISOString()}`,
      });
    } else if (o.abandonedHere && ownerHost === here && ownerPid && !alive(Number(ownerPid))) {
      candidates.push({ run, why: `its launcher (${run.leaseOwner}) is gone` });
    }
  }
  if (o.heartbeatLimitMs) {
    for (const run of await store.findRuns({ states: ["RUNNING"], modes: ["offline", "managed"] })) {
      const limit = o.heartbeatLimitMs(run.worker);
      // the heartbeat file itself, when this machine sees the launch dir (recover may not have run lately)
      let fileBeat: number | null = null;
      if (run.launchDir && existsSync(run.launchDir))
        fileBeat = (await readRunFiles(local, run.launchDir, run.id)).heartbeat;
      const last =
        fileBeat !== null
          ? Math.max(fileBeat * 1000, run.heartbeatAt ?? 0)
          : (run.heartbeatAt ?? run.startedAt);
      if (last !== null && now - last > limit) {
        candidates.push({
          run,
          why: `no heartbeat for ${Math.round((now - last) / 1000)} s (limit ${Math.round(limit / 1000)} s)`,
        });
      }
    }
  }
  const filtered = o.jobIds ? candidates.filter((c) => o.jobIds!.includes(c.run.jobId)) : candidates;
  const jobs = new Map((await store.getJobs(filtered.map((c) => c.run.jobId))).map((j) => [j.id, j]));
  const out: LostRun[] = [];
  for (const { run, why } of filtered) {
    const job = jobs.get(run.jobId);
    if (!job) continue;
    let verdict: LostRun["verdict"] = "lost";
    let checkpoint = run.checkpoint;
    if (run.launchDir && (run.mode !== "pull" || run.host === here) && existsSync(run.launchDir)) {
      const files = await readRunFiles(local, run.launchDir, run.id);
      if (files.result) verdict = "finished";
      else if (run.mode === "pull" && files.started && alive(files.started.pid)) verdict = "alive";
      if (files.checkpoint) checkpoint = { ...files.checkpoint, at: files.checkpoint.at ?? now };
    }
    out.push({ run, job, why, verdict, checkpoint });
  }
  return out;
}

export interface LostHandling {
  collected: number[];
  failed: number[];
  rerun: RerunResult | null;
}

/** Collect finished ones; fail (or fail then rerun) lost ones; leave alive ones alone. */
export async function handleLost(
  store: Store,
  lost: readonly LostRun[],
  action: "report" | "fail" | "rerun",
  o: { taskLevel?: boolean } = {},
): Promise<LostHandling> {
  const result: LostHandling = { collected: [], failed: [], rerun: null };
  const local = new LocalTransport();
  for (const l of lost.filter((x) => x.verdict === "finished")) {
    const files = await readRunFiles(local, l.run.launchDir!, l.run.id);
    if (!files.result) continue;
    const outcome = outcomeFromBundle(
      files,
      await collectOutcome(local, l.run.launchDir!, files.result, l.job.tasks, l.job.recovery),
    );
    await store.transaction((tx) => applyOutcome(tx, l.run.id, outcome, Date.now()));

    result.collected.push(l.job.id);
  }
  if (action === "report") return result;
  const dead = lost.filter((x) => x.verdict === "lost");
  for (const l of dead) {
    const applied = await store.transaction((tx) =>
      applyOutcome(
        tx,
        l.run.id,
        {
          state: "FAILED",
          outputs: null,
          actions: [],
          error: {
            message: `run lost: ${l.why}`,
            stack: null,
            exitCode: null,
            signal: null,
            task: l.checkpoint?.task ?? null,
            reason: "lost",
          },
          exitCode: null,
          checkpoint: l.checkpoint,
          finishedAt: Date.now(),
        },
        Date.now(),
      ),
    );
    if (applied.applied) {
      await store.transaction((tx) => tx.updateRuns([l.run.id], { state: "LOST" }, Date.now()));
      result.failed.push(l.job.id);
    }
  }
  if (action === "rerun" && result.failed.length > 0) {
    result.rerun = await rerunJobs(store, result.failed, o.taskLevel ? { taskLevel: true } : {});
  }
  return result;
}
