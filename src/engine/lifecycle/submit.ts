/**
 * submit: STAGED (or RESERVED, for a pilot submitted without a bundle) → SUBMITTED with the
 * scheduler's job id — or HELD with the reason when the submission was refused or its command
 * could not be started (`ferry retry` releases the job; a new run is made then).
 *
 * A run the scheduler already started before its submission was recorded (the shell scheduler
 * starts at once; `recover` may have seen started.json) keeps its state: only the id is added.
 */
import { ACTIVE_RUN_STATES } from "../../model/states.ts";
import type { RunError } from "../../model/types.ts";
import type { StoreOps } from "../../store/store.ts";
import { failClaimed } from "../fail-claimed.ts";

export interface SubmissionRecord {
  runId: number;
  /** null: submitted, but the id could not be read (the bundle's files are followed all the same). */
  schedulerId: string | null;
  /** Recorded on the run (e.g. why the id is unknown); null clears an earlier one. */
  problem?: string | null;
  /** For the job's history: `submitted to slurm as 42`. */
  reason: string;
  now: number;
}

/** Returns true when this call moved the run to SUBMITTED. */
export async function recordSubmission(tx: StoreOps, o: SubmissionRecord): Promise<boolean> {
  const patch = {
    schedulerId: o.schedulerId,
    leaseOwner: null,
    leaseExpiresAt: null,
    ...(o.problem !== undefined ? { problem: o.problem } : {}),
  };
  const moved = await tx.updateRuns(
    [o.runId],
    { ...patch, state: "SUBMITTED", schedulerState: "queued" },
    o.now,
    { states: ["RESERVED", "STAGED"], archived: false },
  );
  if (moved === 0) {
    // started (or even finished) before this record: add the id, keep the state
    if (o.schedulerId !== null)
      await tx.updateRuns([o.runId], patch, o.now, { states: ACTIVE_RUN_STATES, archived: false });
    return false;
  }
  const run = await tx.getRun(o.runId);
  await tx.transitionJobs([run!.jobId], {
    from: ["RESERVED", "STAGED"],
    to: "SUBMITTED",
    reason: o.reason,
    runId: o.runId,
    now: o.now,
  });
  return true;
}

/** A submission that was refused or could not be made: the run FAILS, the job is HELD. */
export async function holdRun(
  tx: StoreOps,
  o: { runId: number; error: RunError; now: number },
): Promise<boolean> {
  const run = await tx.getRun(o.runId);
  if (!run || run.archived || (run.state !== "RESERVED" && run.state !== "STAGED")) return false;
  await failClaimed(tx, {
    runId: o.runId,
    jobId: run.jobId,
    from: ["RESERVED", "STAGED"],
    error: o.error,
    to: "HELD",
    now: o.now,
  });
  return true;
}
