/**
 * adopt: take over the runs a dead submitter left half-way — RESERVED (claimed, bundle maybe
 * half written) or STAGED (bundle written, maybe handed to the scheduler, never recorded). Their
 * lease has expired, or names an owner whose pid is gone on this host (owner.ts). Taking one
 * over is a compare-and-set on its lease, so of two processes adopting at once only one gets it.
 * What to do with an adopted run is reconcile.ts.
 */
import type { Run, RunMode } from "../../model/types.ts";
import type { Store, StoreOps } from "../../store/store.ts";
import type { Transport } from "../../transport/types.ts";
import { leaseAbandoned } from "./owner.ts";

export interface AbandonedQuery {
  transport: Transport;
  modes: readonly RunMode[];
  workers?: readonly string[];
  now: number;
  /**
   * RESERVED runs leased by this owner count as left over too: a runner's own earlier cycle that
   * was cut off (the database went away between claim and stage), which no other process may
   * adopt while the runner lives and renews its lease. (Its STAGED runs are not renewed: they are
   * adopted, and looked up in the queue, once their lease expires, as anyone's.)
   */
  alsoOwnedBy?: string;
}

/** RESERVED and STAGED runs whose submitter is gone (forgotten and archived runs excluded). */
export async function findAbandonedSubmissions(store: Store, q: AbandonedQuery): Promise<Run[]> {
  const runs = await store.findRuns({
    states: ["RESERVED", "STAGED"],
    modes: q.modes,
    ...(q.workers ? { workers: q.workers } : {}),
  });
  const out: Run[] = [];
  for (const r of runs)
    if (
      (q.alsoOwnedBy !== undefined && r.state === "RESERVED" && r.leaseOwner === q.alsoOwnedBy) ||
      (await leaseAbandoned(q.transport, r, q.now))
    )
      out.push(r);
  return out;
}

/** Take the leases of these runs (as seen: same owner, same state); returns the runs taken. */
export async function takeOverRuns(
  tx: StoreOps,
  runs: readonly Run[],
  o: { owner: string; leaseExpiresAt: number; now: number },
): Promise<Run[]> {
  const taken: Run[] = [];
  for (const r of runs) {
    const n = await tx.updateRuns([r.id], { leaseOwner: o.owner, leaseExpiresAt: o.leaseExpiresAt }, o.now, {
      states: [r.state],
      archived: false,
      leaseOwner: r.leaseOwner,
    });
    if (n > 0) taken.push({ ...r, leaseOwner: o.owner, leaseExpiresAt: o.leaseExpiresAt });
  }
  return taken;
}
