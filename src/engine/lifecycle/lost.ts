/**
 * lost: a run nobody watches any more and that left no result (its launcher's lease expired,
 * its heartbeat went stale). The job FAILS with the run's checkpoint kept for a task-level
 * rerun, and the run is marked LOST — in one transaction, so no reader ever sees a FAILED job
 * whose run still looks active, or a LOST run whose job still waits.
 */
import { type Checkpoint, runError } from "../../model/types.ts";
import type { StoreOps } from "../../store/store.ts";
import { type Applied, applyOutcome } from "../outcome.ts";

export async function recordLost(
  tx: StoreOps,
  o: { runId: number; why: string; checkpoint: Checkpoint | null; now: number },
): Promise<Applied> {
  const applied = await applyOutcome(
    tx,
    o.runId,
    {
      state: "FAILED",
      outputs: null,
      actions: [],
      error: runError("lost", `run lost: ${o.why}`, { task: o.checkpoint?.task ?? null }),
      exitCode: null,
      checkpoint: o.checkpoint,
      finishedAt: o.now,
    },
    o.now,
  );
  if (applied.applied) await tx.updateRuns([o.runId], { state: "LOST" }, o.now, { states: ["FAILED"] });
  return applied;
}
