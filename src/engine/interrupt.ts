/**
 * A run stopped on purpose by its own launcher (second Ctrl+C): the run is kept as INTERRUPTED,
 * with its checkpoint, and the job goes back to READY so the next launcher runs it again.
 */
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { StoreOps } from "../store/store.ts";
import type { RunOutcome } from "./outcome.ts";

export async function releaseInterrupted(
  tx: StoreOps,
  runId: number,
  outcome: RunOutcome,
  now: number,
): Promise<boolean> {
  const error = outcome.error ? { ...outcome.error, reason: "interrupted" as const } : null;
  const changed = await tx.updateRuns(
    [runId],
    {
      state: "INTERRUPTED",
      finishedAt: outcome.finishedAt,
      error,
      exitCode: outcome.exitCode,
      checkpoint: outcome.checkpoint,
      leaseExpiresAt: null,
    },
    now,
    { states: ACTIVE_RUN_STATES, archived: false },
  );
  if (changed === 0) return false;
  const run = await tx.getRun(runId);
  await tx.transitionJobs([run!.jobId], {
    from: ["RUNNING"],
    to: "READY",
    reason: "interrupted by the launcher; released",
    runId,
    now,
  });
  return true;
}
