/**
 * What a `ferry offline submit` that died (kill -9, a lost login session, a node reboot) left of
 * its batch, found by the next submit and by `detect-lost`: RESERVED runs were never submitted
 * (a run is only handed to the scheduler once STAGED) and go back to READY; STAGED runs may or
 * may not be in the queue, and are reconciled — launch directory first, then the scheduler by
 * the run's job name — before anything is submitted again (engine/lifecycle/reconcile.ts).
 */

import { adoptQueued } from "../batch/adopt.ts";
import {
  findAbandonedSubmissions,
  type Reconciled,
  reconcileSubmissions,
  releaseRun,
  takeOverRuns,
} from "../engine/lifecycle/index.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { runNameOf } from "./request.ts";
import { type BatchWorker, type WorkerScheduler, workerScheduler } from "./worker-exec.ts";

/** How long a submitter's claim protects its runs from being adopted by another host. */
export const SUBMIT_LEASE_MS = 10 * 60_000;

export interface AdoptOptions {
  transport: Transport;
  ws: WorkerScheduler;
  owner: string;
  now?: () => number;
  /** How long the adopter's own lease on what it takes over lasts (default SUBMIT_LEASE_MS). */
  leaseMs?: number;
  /** Also take up what `owner` itself left RESERVED or STAGED (a runner's cut-off cycle). */
  ownLeftovers?: boolean;
}

export type Adopted = Reconciled & { examined: number };

const noneAdopted = (): Adopted => ({
  examined: 0,
  collected: [],
  started: [],
  found: [],
  released: [],
  left: [],
  problems: [],
});

function merge(a: Adopted, b: Adopted): Adopted {
  return {
    examined: a.examined + b.examined,
    collected: [...a.collected, ...b.collected],
    started: [...a.started, ...b.started],
    found: [...a.found, ...b.found],
    released: [...a.released, ...b.released],
    left: [...a.left, ...b.left],
    problems: [...a.problems, ...b.problems],
  };
}

export async function adoptAbandoned(store: Store, worker: BatchWorker, o: AdoptOptions): Promise<Adopted> {
  const now = o.now ?? Date.now;
  const found = await findAbandonedSubmissions(store, {
    transport: o.transport,
    modes: [worker.mode],
    workers: [worker.name],
    now: now(),
    ...(o.ownLeftovers ? { alsoOwnedBy: o.owner } : {}),
  });
  const empty: Adopted = { ...noneAdopted(), examined: found.length };
  if (found.length === 0) return empty;
  const taken = await store.transaction((tx) =>
    takeOverRuns(tx, found, {
      owner: o.owner,
      leaseExpiresAt: now() + (o.leaseMs ?? SUBMIT_LEASE_MS),
      now: now(),
    }),
  );
  for (const r of taken.filter((x) => x.state === "RESERVED")) {
    const released = await store.transaction((tx) =>
      releaseRun(tx, {
        runId: r.id,
        reason: "its submitter stopped before writing its bundle; released to be submitted again",
        leaseOwner: o.owner,
        now: now(),
      }),
    );
    if (released) empty.released.push(r.id);
  }
  let staged = taken.filter((x) => x.state === "STAGED");
  if (worker.batch && staged.length > 0) {
    // handed to the folder queue already: SUBMITTED, never looked up by name (batch/adopt.ts)
    const queued = await adoptQueued(
      store,
      o.transport,
      { workDir: worker.workDir, workerName: worker.name, now: now() },
      staged,
    );
    staged = staged.filter((x) => !queued.has(x.id));
  }
  if (staged.length === 0) return empty;
  const r = await reconcileSubmissions(store, staged, {
    transport: o.transport,
    access: o.ws,
    nameOf: (run, job) => runNameOf(worker, o.ws, job, run.id, run.launchDir ?? ""),
    owner: o.owner,
    absent: "release",
    now,
  });
  return merge(empty, { ...r, examined: 0 });
}

export interface DeadSubmission {
  worker: string;
  jobId: number;
  runId: number;
  state: "RESERVED" | "STAGED";
}

export interface DeadSubmissions {
  /** Runs left RESERVED or STAGED by a submitter that is gone. */
  found: DeadSubmission[];
  /** With `act`: what became of them, all workers together. */
  adopted: Adopted | null;
}

/**
 * `ferry detect-lost`: the runs dead submits left, on every offline worker of the project;
 * with `act` (--fail, --rerun) they are adopted as the next submit would adopt them.
 */
export async function deadSubmissions(
  store: Store,
  workers: readonly BatchWorker[],
  o: { transport: Transport; owner: string; act: boolean },
): Promise<DeadSubmissions> {
  const out: DeadSubmissions = { found: [], adopted: null };
  for (const worker of workers) {
    const runs = await findAbandonedSubmissions(store, {
      transport: o.transport,
      modes: [worker.mode],
      workers: [worker.name],
      now: Date.now(),
    });
    for (const r of runs)
      out.found.push({
        worker: worker.name,
        jobId: r.jobId,
        runId: r.id,
        state: r.state as DeadSubmission["state"],
      });
    if (!o.act || runs.length === 0) continue;
    const ws = workerScheduler(worker, undefined, o.transport);
    const a = await adoptAbandoned(store, worker, { transport: o.transport, ws, owner: o.owner });
    out.adopted = merge(out.adopted ?? noneAdopted(), a);
  }
  return out;
}
