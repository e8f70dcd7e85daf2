/**
 * hold in place: the jobs of a worker that cannot be reached (ssh down, a login that needs a
 * person) whose runs are already staged or on the cluster. The job becomes HELD with the reason
 * and remembers the state it was in (heldFrom); its run is left exactly as it is — the batch job
 * runs on — and nothing advances it while it is HELD. `ferry retry` puts the job back in that
 * state, and the run is collected (or looked up in the queue) as if nothing had happened:
 * holding never reruns anything (jobflow-remote's REMOTE_ERROR, without losing the batch job).
 */
import type { JobState } from "../../model/states.ts";
import type { StoreOps } from "../../store/store.ts";

export const HOLDABLE_IN_PLACE = [
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
] as const satisfies readonly JobState[];

/** Returns the jobs held now. */
export async function holdInPlace(
  tx: StoreOps,
  o: { jobIds: readonly number[]; reason: string; now: number },
): Promise<number[]> {
  const moved = await tx.transitionJobs(o.jobIds, {
    from: HOLDABLE_IN_PLACE,
    to: "HELD",
    reason: o.reason,
    now: o.now,
  });
  for (const from of HOLDABLE_IN_PLACE) {
    const ids = moved.filter((m) => m.from === from).map((m) => m.id);
    if (ids.length > 0) await tx.updateJobs(ids, { heldFrom: from }, o.now);
  }
  return moved.map((m) => m.id);
}
