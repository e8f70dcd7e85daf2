/**
 * The shape every job-control operation shares (engine/control.ts, engine/rerun.ts): a
 * decision taken from the jobs' rows, and its application. A dry run decides from a plain read;
 * a real run decides again inside its transaction, from rows read under the transaction's lock
 * (PostgreSQL `FOR UPDATE`; SQLite's BEGIN IMMEDIATE holds the write lock).
 */
import type { JobState } from "../model/states.ts";
import type { Job, Run } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import type { StopReport } from "./stop.ts";
import type { EditLine } from "./update.ts";

export interface Brief {
  id: number;
  name: string;
  state: JobState;
}

/** A live run a change stops (or, in a dry run, would stop). */
export interface LiveRun {
  job: Brief;
  runId: number;
  mode: Run["mode"];
  host: string | null;
  schedulerId: string | null;
}

export interface ControlResult {
  /** Jobs that changed (a dry run: that would change). */
  changed: Brief[];
  skipped: (Brief & { reason: string })[];
  /** Live runs stopped with the change (a dry run: that would be stopped, or refuse it without force). */
  live?: LiveRun[];
  stopped?: StopReport | null;
  /** `update`: each edited field, before and after. */
  edits?: EditLine[];
}

export interface ControlOptions {
  /** Decide and report, change nothing. */
  dryRun?: boolean;
}

export const brief = (j: Job): Brief => ({ id: j.id, name: j.name, state: j.state });

export const liveRun = (j: Job, r: Run): LiveRun => ({
  job: brief(j),
  runId: r.id,
  mode: r.mode,
  host: r.host,
  schedulerId: r.schedulerId,
});

export function split(
  jobs: readonly Job[],
  ok: (j: Job) => string | null,
): { take: Job[]; skipped: ControlResult["skipped"] } {
  const take: Job[] = [];
  const skipped: ControlResult["skipped"] = [];
  for (const j of jobs) {
    const reason = ok(j);
    if (reason === null) take.push(j);
    else skipped.push({ ...brief(j), reason });
  }
  return { take, skipped };
}

/** The jobs, read under the transaction's row locks when `lock` (ids sorted: one lock order). */
export function readJobs(ops: StoreOps, ids: readonly number[], lock: boolean): Promise<Job[]> {
  return ops.getJobs(
    [...new Set(ids)].sort((a, b) => a - b),
    { forUpdate: lock },
  );
}

/**
 * Dry run: `decide` on a plain read. Otherwise `decide` and `apply` in one transaction (retried
 * whole by the store on a PostgreSQL deadlock, so neither may have effects outside the database).
 */
export async function decideThenApply<D>(
  store: Store,
  o: ControlOptions,
  decide: (ops: StoreOps, lock: boolean) => Promise<D>,
  apply: (tx: StoreOps, decision: D, now: number) => Promise<void>,
): Promise<D> {
  if (o.dryRun) return decide(store, false);
  return store.transaction(async (tx) => {
    const decision = await decide(tx, true);
    await apply(tx, decision, Date.now());
    return decision;
  });
}
