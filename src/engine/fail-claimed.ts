/**
 * A claimed run that cannot go on — its inputs cannot be resolved, its bundle cannot be written,
 * or the scheduler refused it: the run FAILS with the error, and the job either FAILS (children
 * that accept failed parents are released) or is HELD (`ferry retry` releases it: worth it when
 * the cause is outside the job, like a refused submission).
 */
import { ACTIVE_RUN_STATES, type JobState } from "../model/states.ts";
import { type RunError, runError } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";

export interface FailClaimed {
  runId: number;
  jobId: number;
  /** The states the job may be in (what the claim left it in). */
  from: readonly JobState[];
  error: RunError;
  to: "FAILED" | "HELD";
  now: number;
}

export async function failClaimed(tx: StoreOps, o: FailClaimed): Promise<void> {
  await tx.updateRuns(
    [o.runId],
    { state: "FAILED", finishedAt: o.now, error: o.error, leaseExpiresAt: null },
    o.now,
    {
      states: ACTIVE_RUN_STATES,
    },
  );
  if (o.to === "HELD") await tx.updateJobs([o.jobId], { heldFrom: "READY" }, o.now);
  const moved = await tx.transitionJobs([o.jobId], {
    from: o.from,
    to: o.to,
    reason: o.error.message,
    runId: o.runId,
    now: o.now,
  });
  if (o.to === "FAILED" && moved.length > 0) await tx.releaseChildren([o.jobId], "FAILED", o.now);
}

export function inputsError(message: string): RunError {
  return runError("inputs", `cannot resolve inputs: ${message}`);
}
