/**
 * Lost runs: a pull run whose launcher stopped renewing its lease (killed, machine gone), or an
 * offline run whose heartbeat file went stale. Detection takes seconds to minutes (the lease
 * and heartbeat periods), not FireWorks' 4 hours (`RUN_EXPIRATION_SECS` = 14400 in fireworks/fw_config.py).
 *
 * Before calling a run lost, its launch directory is read through the caller's transport (a
 * directory the transport cannot see reads as empty):
 *  - result.json exists → the job finished while nobody watched: its result is collected;
 *  - the wrapper process is alive on the transport's host → not lost, only unattended;
 *  - otherwise → lost; with --fail the job FAILS (its checkpoint kept for a task-level rerun),
 *    with --rerun it is rerun.
 */
import { BundleProblem, collectOutcome, readRunFiles } from "../bundle/collect.ts";
import { runScope } from "../bundle/protocol-files.ts";
import type { JobState } from "../model/states.ts";
import type { Checkpoint, Job, Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { recordLost } from "./lifecycle/lost.ts";
import { ownerGone, wrapperAlive } from "./lifecycle/owner.ts";
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
  /** Where launch directories are read and wrapper processes looked at (this machine for the CLI). */
  transport: Transport;
  now?: number;
  /** Offline/managed runs whose heartbeat is older than this are lost (per worker). */
  heartbeatLimitMs?: (worker: string | null) => number;
  /** Only runs of these jobs. */
  jobIds?: readonly number[];
  /**
   * Also pull runs of launchers on the transport's host whose process is gone, even before their
   * lease expires (a launcher restarting after a crash takes over its predecessor's runs).
   */
  abandonedHere?: boolean;
}

export async function detectLost(store: Store, o: DetectOptions): Promise<LostRun[]> {
  const now = o.now ?? Date.now();
  const t = o.transport;
  const candidates: { run: Run; why: string }[] = [];
  for (const run of await store.findRuns({ states: ["RUNNING"], modes: ["pull"] })) {
    if (run.leaseExpiresAt !== null && run.leaseExpiresAt < now) {
      candidates.push({
        run,
        why: `its launcher (${run.leaseOwner ?? "?"}) has not renewed its lease since ${new Date(run.leaseExpiresAt).toISOString()}`,
      });
    } else if (o.abandonedHere && (await ownerGone(t, run.leaseOwner))) {
      candidates.push({ run, why: `its launcher (${run.leaseOwner}) is gone` });
    }
  }
  if (o.heartbeatLimitMs) {
    for (const run of await store.findRuns({ states: ["RUNNING"], modes: ["offline", "managed"] })) {
      const limit = o.heartbeatLimitMs(run.worker);
      // the heartbeat file itself, when the transport sees the launch dir (recover may not have run lately)
      const fileBeat = run.launchDir ? (await readRunFiles(t, run.launchDir, run.id)).heartbeat : null;
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
    if (run.launchDir) {
      const files = await readRunFiles(t, run.launchDir, run.id, runScope(job, job.recovery, now));
      if (files.result) verdict = "finished";
      else if (run.mode === "pull" && files.started && (await wrapperAlive(t, run, files.started)))
        verdict = "alive";
      if (files.checkpoint) checkpoint = { ...files.checkpoint, at: files.checkpoint.at ?? now };
    }
    out.push({ run, job, why, verdict, checkpoint });
  }
  return out;
}

/**
 * Collect the result of a run found finished (`verdict: "finished"`) in its own transaction.
 * `null` when there is nothing to apply now: no result yet, or files that cannot be read now
 * (the next look retries); otherwise what applyOutcome did (not applied: another process got
 * there first).
 */
export async function collectFinished(
  store: Store,
  t: Transport,
  l: LostRun,
): Promise<{
  outcome: ReturnType<typeof outcomeFromBundle>;
  applied: boolean;
  jobState: JobState | null;
} | null> {
  const files = await readRunFiles(t, l.run.launchDir!, l.run.id, runScope(l.job, l.job.recovery));
  if (!files.result) return null;
  let outcome: ReturnType<typeof outcomeFromBundle>;
  try {
    outcome = outcomeFromBundle(
      files,
      await collectOutcome(t, l.run.launchDir!, files.result, l.job.tasks, l.job.recovery),
    );
  } catch (e) {
    if (e instanceof BundleProblem) return null; // unreadable now: the next look retries
    throw e;
  }
  const applied = await store.transaction((tx) => applyOutcome(tx, l.run.id, outcome, Date.now()));
  return { outcome, applied: applied.applied, jobState: applied.jobState };
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
  o: { transport: Transport; taskLevel?: boolean },
): Promise<LostHandling> {
  const t = o.transport;
  const result: LostHandling = { collected: [], failed: [], rerun: null };
  for (const l of lost.filter((x) => x.verdict === "finished")) {
    const applied = await collectFinished(store, t, l);
    if (applied?.applied) result.collected.push(l.job.id);
  }
  if (action === "report") return result;
  for (const l of lost.filter((x) => x.verdict === "lost")) {
    const applied = await store.transaction((tx) =>
      recordLost(tx, { runId: l.run.id, why: l.why, checkpoint: l.checkpoint, now: Date.now() }),
    );
    if (applied.applied) result.failed.push(l.job.id);
  }
  if (action === "rerun" && result.failed.length > 0) {
    result.rerun = await rerunJobs(store, result.failed, {
      transport: t,
      ...(o.taskLevel ? { taskLevel: true } : {}),
    });
  }
  return result;
}
