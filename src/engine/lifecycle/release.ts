/**
 * release: a run that certainly never reached a scheduler or a process — reserved but never
 * staged, staged but never submitted (its name is in no queue and it wrote nothing), or claimed
 * by a launcher that never started it. The run is kept as INTERRUPTED with the reason and the
 * job goes back to READY, so it is claimed again: nothing ran, so nothing can run twice.
 */
import type { RunState } from "../../model/states.ts";
import { runError } from "../../model/types.ts";
import type { StoreOps } from "../../store/store.ts";

export interface ReleaseOptions {
  runId: number;
  reason: string;
  /** The run states this release is sure of (default: RESERVED only). */
  from?: readonly ("RESERVED" | "STAGED" | "RUNNING")[];
  /** Only while the lease is this owner's (the releaser took it over first). */
  leaseOwner?: string | null;
  now: number;
}

/** Returns true when this call released the run. */
export async function releaseRun(tx: StoreOps, o: ReleaseOptions): Promise<boolean> {
  const from: readonly RunState[] = o.from ?? ["RESERVED"];
  const error = runError("interrupted", o.reason);
  const moved = await tx.updateRuns(
    [o.runId],
    { state: "INTERRUPTED", finishedAt: o.now, error, leaseOwner: null, leaseExpiresAt: null },
    o.now,
    { states: from, archived: false, ...(o.leaseOwner !== undefined ? { leaseOwner: o.leaseOwner } : {}) },
  );
  if (moved === 0) return false;
  const run = await tx.getRun(o.runId);
  await tx.transitionJobs([run!.jobId], {
    from: ["RESERVED", "STAGED", "RUNNING"],
    to: "READY",
    reason: o.reason,
    runId: o.runId,
    now: o.now,
  });
  return true;
}
