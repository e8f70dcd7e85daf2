/**
 * stage: RESERVED → STAGED once the run's bundle is written (in its launch directory, through the
 * driver's transport). The lease taken at the claim is renewed: staged runs are submitted next,
 * and nobody else may submit them while it holds.
 */
import type { StoreOps } from "../../store/store.ts";

export interface StageOptions {
  now: number;
  /** The claimer's lease: only runs it still holds are staged. */
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** Stage these runs; returns the run ids staged by this call (a second call stages none). */
export async function stageRuns(
  tx: StoreOps,
  items: readonly { runId: number; jobId: number }[],
  o: StageOptions,
): Promise<number[]> {
  const staged: { runId: number; jobId: number }[] = [];
  for (const it of items) {
    const n = await tx.updateRuns([it.runId], { state: "STAGED", leaseExpiresAt: o.leaseExpiresAt }, o.now, {
      states: ["RESERVED"],
      archived: false,
      leaseOwner: o.leaseOwner,
    });
    if (n > 0) staged.push(it);
  }
  await tx.transitionJobs(
    staged.map((s) => s.jobId),
    {
      from: ["RESERVED"],
      to: "STAGED",
      reason: "bundle written",
      runId: new Map(staged.map((s) => [s.jobId, s.runId])),
      now: o.now,
    },
  );
  return staged.map((s) => s.runId);
}
