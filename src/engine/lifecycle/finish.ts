/**
 * finish/vanish: the scheduler no longer runs the job and no result was written. First FINISHED
 * (the result file may only be late: NFS), then — after a grace period, by the driver's clock —
 * FAILED with the scheduler's reason (walltime, memory, cancelled outside ferry).
 */
import type { Checkpoint, RunError } from "../../model/types.ts";
import type { StoreOps } from "../../store/store.ts";
import { type Applied, applyOutcome } from "../outcome.ts";

export interface VanishRecord {
  runId: number;
  /** The scheduler's neutral state (done, timeout, …). */
  schedulerState: string;
  /** For the job's history: `left the squeue queue (timeout)`. */
  reason: string;
  now: number;
}

/** SUBMITTED/RUNNING → FINISHED; returns true when this call moved it. */
export async function recordVanished(tx: StoreOps, o: VanishRecord): Promise<boolean> {
  const moved = await tx.updateRuns(
    [o.runId],
    { state: "FINISHED", schedulerState: o.schedulerState, finishedAt: o.now },
    o.now,
    { states: ["SUBMITTED", "RUNNING"], archived: false },
  );
  if (moved === 0) return false;
  const run = await tx.getRun(o.runId);
  await tx.transitionJobs([run!.jobId], {
    from: ["SUBMITTED", "RUNNING"],
    to: "FINISHED",
    reason: o.reason,
    runId: o.runId,
    now: o.now,
  });
  return true;
}

/** FINISHED with no result after the grace period → FAILED (exactly once: engine/outcome.ts). */
export function failVanished(
  tx: StoreOps,
  o: { runId: number; error: RunError; checkpoint: Checkpoint | null; now: number },
): Promise<Applied> {
  return applyOutcome(
    tx,
    o.runId,
    {
      state: "FAILED",
      outputs: null,
      actions: [],
      error: o.error,
      exitCode: o.error.exitCode,
      checkpoint: o.checkpoint,
      finishedAt: o.now,
    },
    o.now,
  );
}
