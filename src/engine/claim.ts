/**
 * Claim READY jobs for a worker and prepare each for hand-off: pick its launch directory and
 * resolve its inputs, in the claim's transaction. A job whose inputs cannot be resolved fails
 * right there (with the reason), instead of failing later on a compute node.
 */
import { join } from "node:path";
import type { JsonObject } from "../model/json.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { Job, Recovery, RunMode } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import { failClaimed, inputsError } from "./fail-claimed.ts";
import { InputsError, resolveInputs } from "./resolve.ts";

export interface ClaimRequest {
  worker: { name: string; workDir: string; categories: readonly string[] };
  limit: number;
  to: "RUNNING" | "RESERVED";
  mode: RunMode;
  leaseOwner: string | null;
  leaseMs: number | null;
  host: string | null;
  jobIds?: readonly number[];
  /** Only jobs of these flows (`ferry launch --flow`). */
  flowIds?: readonly number[];
}

export interface ClaimedRun {
  job: Job;
  runId: number;
  attempt: number;
  launchDir: string;
  inputs: JsonObject;
  recovery: Recovery | null;
}

export interface ClaimResult {
  claimed: ClaimedRun[];
  /** Jobs that failed at hand-off because their inputs could not be resolved. */
  failed: { job: Job; runId: number; message: string }[];
}

/** `<workDir>/flow-<flow>/<job name>-<run>`; a task-level rerun with reuse runs in the old dir. */
export function launchDirFor(workDir: string, job: Job, runId: number): string {
  if (job.recovery?.dirMode === "reuse" && job.recovery.previousDir) return job.recovery.previousDir;
  return join(workDir, `flow-${job.flowId}`, `${job.name}-${runId}`);
}

export async function claimRuns(store: Store, req: ClaimRequest, now = Date.now()): Promise<ClaimResult> {
  return store.transaction((tx) => claimRunsIn(tx, req, now));
}

/**
 * claimRuns inside a transaction the caller holds: the pull launcher claims in the same
 * transaction that records the runs it saw finish (one commit per batch, launcher/launch.ts).
 */
export async function claimRunsIn(tx: StoreOps, req: ClaimRequest, now = Date.now()): Promise<ClaimResult> {
  const got = await tx.claimReady({
    limit: req.limit,
    worker: req.worker.name,
    categories: req.worker.categories,
    to: req.to,
    mode: req.mode,
    leaseOwner: req.leaseOwner,
    leaseExpiresAt: req.leaseMs === null ? null : now + req.leaseMs,
    host: req.host,
    now,
    launchDir: (job, runId) => launchDirFor(req.worker.workDir, job, runId),
    ...(req.jobIds ? { jobIds: req.jobIds } : {}),
    ...(req.flowIds ? { flowIds: req.flowIds } : {}),
  });
  const result: ClaimResult = { claimed: [], failed: [] };
  for (const { job, runId, attempt, launchDir } of got) {
    try {
      const inputs = await resolveInputs(tx, job);
      result.claimed.push({
        job,
        runId,
        attempt,
        launchDir: launchDir!,
        inputs,
        recovery: job.recovery,
      });
    } catch (e) {
      if (!(e instanceof InputsError)) throw e;
      const error = inputsError(e.message);
      await failClaimed(tx, { runId, jobId: job.id, from: [req.to], error, to: "FAILED", now });
      result.failed.push({ job, runId, message: error.message });
    }
  }
  return result;
}

/**
 * Take one reserved run (reservation mode: `ferry qlaunch --reserve` submitted a pilot for
 * exactly this job): RESERVED/STAGED/SUBMITTED → RUNNING with a lease. Nothing when the run was
 * cancelled, rerun or taken meanwhile.
 */
export async function claimReserved(
  store: Store,
  runId: number,
  req: { worker: { name: string; workDir: string }; leaseOwner: string; leaseMs: number; host: string },
  now = Date.now(),
): Promise<ClaimResult> {
  return store.transaction(async (tx) => {
    const result: ClaimResult = { claimed: [], failed: [] };
    const run = await tx.getRun(runId);
    if (!run || run.worker !== req.worker.name) return result;
    const moved = await tx.updateRuns(
      [runId],
      {
        state: "RUNNING",
        leaseOwner: req.leaseOwner,
        leaseExpiresAt: now + req.leaseMs,
        heartbeatAt: now,
        startedAt: now,
        host: req.host,
      },
      now,
      { states: ["RESERVED", "STAGED", "SUBMITTED"], archived: false },
    );
    if (moved === 0) return result;
    await tx.transitionJobs([run.jobId], {
      from: ["RESERVED", "STAGED", "SUBMITTED"],
      to: "RUNNING",
      reason: `claimed by ${req.leaseOwner}`,
      runId,
      now,
    });
    const job = (await tx.getJobs([run.jobId]))[0]!;
    const launchDir = run.launchDir ?? launchDirFor(req.worker.workDir, job, runId);
    try {
      result.claimed.push({
        job,
        runId,
        attempt: run.attempt,
        launchDir,
        inputs: await resolveInputs(tx, job),
        recovery: job.recovery,
      });
    } catch (e) {
      if (!(e instanceof InputsError)) throw e;
      const error = inputsError(e.message);
      await failClaimed(tx, { runId, jobId: job.id, from: ["RUNNING"], error, to: "FAILED", now });
      result.failed.push({ job, runId, message: error.message });
    }
    return result;
  });
}

/**
 * Is there work a launcher of this worker could still do, now or later? `active` counts live
 * pull runs only (other launchers', and reserved ones waiting for their pilot): their completion
 * may release children. Offline jobs are not counted — they finish only when someone runs
 * `ferry offline recover`, and a launcher waiting for them would never stop. With `flowIds`
 * (`launch --flow`), only jobs and runs of those flows count.
 */
export async function pendingWork(
  store: Store,
  worker: { name: string; categories: readonly string[] },
  flowIds?: readonly number[],
): Promise<{ ready: number; active: number }> {
  const ready = await store.countClaimable(worker.name, worker.categories, flowIds);
  const active = (
    await store.findRuns({ states: ACTIVE_RUN_STATES, modes: ["pull"], ...(flowIds ? { flowIds } : {}) })
  ).length;
  return { ready, active };
}
