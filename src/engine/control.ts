/**
 * Job control: pause, resume, cancel, reignite, archive, delete, set-priority, update, retry.
 * Each takes job ids (already selected) and works in two steps, `decide` and `apply`:
 *  - a dry run decides from a plain read and changes nothing: the preview a user sees;
 *  - a real run decides again *inside* its transaction, from rows read under the transaction's
 *    lock (PostgreSQL `FOR UPDATE`; SQLite's BEGIN IMMEDIATE holds the write lock), so a
 *    launcher that claims a job between the preview and the change cannot make `cancel` leave
 *    its run RUNNING or `pause` report a change it did not make.
 * Live runs are marked CANCELLED in the same transaction; their processes and scheduler jobs
 * are stopped after the commit (engine/stop.ts).
 */
import { readdirSync, rmSync } from "node:fs";
import { PROTOCOL_DIR } from "../bundle/layout.ts";
import { ConflictError } from "../model/errors.ts";
import { isActive, type JobState } from "../model/states.ts";
import type { Job, Run } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import {
  type Brief,
  brief,
  type ControlOptions,
  type ControlResult,
  decideThenApply,
  liveRun,
  readJobs,
  split,
} from "./decide.ts";
import { HOLDABLE_IN_PLACE } from "./lifecycle/hold.ts";
import { cancelRuns, type StopOptions, stopProcesses } from "./stop.ts";
import { applyEdits, checkReferences, describeEdits, type JobEdits } from "./update.ts";

export type { Brief, ControlOptions, ControlResult, LiveRun } from "./decide.ts";

/** After parents changed state outside a completion: exact counts, and READY only if still runnable. */
async function settleChildren(tx: StoreOps, parentIds: readonly number[], now: number): Promise<void> {
  const children = [...new Set([...(await tx.childrenOf(parentIds)).values()].flat())];
  await tx.recountParents(children);
  await tx.demoteWaiting(children, now);
  await tx.promoteReady(children, now);
}

/** A simple change: split by a rule, then one write for the jobs taken. */
async function simple(
  store: Store,
  ids: readonly number[],
  o: ControlOptions,
  ok: (j: Job) => string | null,
  write: (tx: StoreOps, take: number[], now: number) => Promise<unknown>,
): Promise<ControlResult> {
  const d = await decideThenApply(
    store,
    o,
    async (ops, lock) => split(await readJobs(ops, ids, lock), ok),
    (tx, { take }, now) =>
      write(
        tx,
        take.map((j) => j.id),
        now,
      ).then(() => undefined),
  );
  return { changed: d.take.map(brief), skipped: d.skipped };
}

export function pauseJobs(store: Store, ids: readonly number[], o: ControlOptions = {}) {
  return simple(
    store,
    ids,
    o,
    (j) =>
      j.state === "WAITING" || j.state === "READY"
        ? null
        : `${j.state}: only WAITING or READY jobs can be paused`,
    (tx, take, now) =>
      tx.transitionJobs(take, { from: ["WAITING", "READY"], to: "PAUSED", reason: "paused", now }),
  );
}

/** PAUSED → READY (parents done) or WAITING. */
export function resumeJobs(store: Store, ids: readonly number[], o: ControlOptions = {}) {
  return release(store, ids, "PAUSED", "resumed", o);
}

/** CANCELLED → READY or WAITING (FireWorks' reignite). */
export function reigniteJobs(store: Store, ids: readonly number[], o: ControlOptions = {}) {
  return release(store, ids, "CANCELLED", "reignited", o);
}

function release(
  store: Store,
  ids: readonly number[],
  from: "PAUSED" | "CANCELLED",
  reason: string,
  o: ControlOptions,
): Promise<ControlResult> {
  return simple(
    store,
    ids,
    o,
    (j) => (j.state === from ? null : `${j.state}, not ${from}`),
    async (tx, moved, now) => {
      await tx.transitionJobs(moved, { from: [from], to: "WAITING", reason, now });
      await tx.recountParents(moved);
      await tx.promoteReady(moved, now);
    },
  );
}

/**
 * `ferry retry`: release HELD jobs (a submission the scheduler refused, an infrastructure
 * failure past its retries) to WAITING, READY when their parents are done. A job held in place
 * (its worker was unreachable while its run was staged or on the cluster: lifecycle/hold.ts)
 * goes back to the state it was held from, with the same run — nothing runs twice.
 */
export function retryJobs(store: Store, ids: readonly number[], o: ControlOptions = {}) {
  return simple(
    store,
    ids,
    o,
    (j) => (j.state === "HELD" ? null : `${j.state}, not HELD`),
    async (tx, held, now) => {
      const runs = await tx.currentRuns(held);
      const jobs = new Map((await tx.getJobs(held)).map((j) => [j.id, j]));
      // back to where its run is now (it may have moved while held: a lookup found it queued)
      const holdable = HOLDABLE_IN_PLACE as readonly string[];
      const inPlace = (id: number) => {
        const run = runs.get(id);
        return holdable.includes(jobs.get(id)?.heldFrom ?? "") &&
          run !== undefined &&
          !run.archived &&
          holdable.includes(run.state)
          ? (run.state as (typeof HOLDABLE_IN_PLACE)[number])
          : null;
      };
      for (const from of HOLDABLE_IN_PLACE) {
        const ids = held.filter((id) => inPlace(id) === from);
        if (ids.length > 0) await tx.transitionJobs(ids, { from: ["HELD"], to: from, reason: "retry", now });
      }
      const back = held.filter((id) => inPlace(id) === null);
      await tx.updateJobs(held, { heldFrom: null }, now);
      await tx.transitionJobs(back, { from: ["HELD"], to: "WAITING", reason: "retry", now });
      await tx.recountParents(back);
      await tx.promoteReady(back, now);
    },
  );
}

export function setPriority(
  store: Store,
  ids: readonly number[],
  priority: number,
  o: ControlOptions = {},
): Promise<ControlResult> {
  return simple(
    store,
    ids,
    o,
    (j) =>
      j.state === "ARCHIVED"
        ? "ARCHIVED"
        : j.priority === priority
          ? `priority is already ${priority}`
          : null,
    (tx, take, now) => tx.updateJobs(take, { priority }, now),
  );
}

/** Jobs with their current run when they are in an active state (a run may be working). */
async function liveRunsOf(ops: StoreOps, jobs: readonly Job[]): Promise<{ job: Job; run: Run }[]> {
  const active = jobs.filter((j) => isActive(j.state));
  const runs = await ops.currentRuns(active.map((j) => j.id));
  return active.flatMap((job) => {
    const run = runs.get(job.id);
    return run ? [{ job, run }] : [];
  });
}

const CANCELLABLE: readonly JobState[] = [
  "WAITING",
  "READY",
  "PAUSED",
  "HELD",
  "FAILED",
  "RESERVED",
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
];

/**
 * Cancel: any job that has not finished. A live run is stopped (its scheduler job cancelled);
 * the children do not run until the job is reignited or rerun.
 */
export async function cancelJobs(
  store: Store,
  ids: readonly number[],
  stop: StopOptions & ControlOptions = { reason: "cancelled" },
): Promise<ControlResult> {
  let cancelled: Run[] = [];
  const d = await decideThenApply(
    store,
    stop,
    async (ops, lock) => {
      const s = split(await readJobs(ops, ids, lock), (j) =>
        CANCELLABLE.includes(j.state) ? null : `already ${j.state}`,
      );
      return { ...s, live: await liveRunsOf(ops, s.take) };
    },
    async (tx, { take, live }, now) => {
      cancelled = await cancelRuns(
        tx,
        live.map((l) => l.run),
        stop.reason || "cancelled",
        now,
      );
      const moved = await tx.transitionJobs(
        take.map((j) => j.id),
        { from: CANCELLABLE, to: "CANCELLED", reason: "cancelled", now },
      );
      // a cancelled FAILED parent no longer lets its allow-failed children run
      await settleChildren(
        tx,
        moved.map((m) => m.id),
        now,
      );
    },
  );
  const stopped = cancelled.length > 0 ? await stopProcesses(cancelled, stop) : null;
  return {
    changed: d.take.map(brief),
    skipped: d.skipped,
    live: d.live.map((l) => liveRun(l.job, l.run)),
    stopped,
  };
}

function refuseLive(live: readonly { job: Job }[], verb: string): void {
  if (live.length === 0) return;
  throw new ConflictError(
    `${live.map((l) => `job ${l.job.id} "${l.job.name}" is ${l.job.state}`).join("; ")}: ${verb} would orphan a live run — use --force to stop it first`,
    live.map((l) => l.job.id),
  );
}

export async function archiveJobs(
  store: Store,
  ids: readonly number[],
  o: { force?: boolean; stop?: StopOptions } & ControlOptions = {},
): Promise<ControlResult> {
  let cancelled: Run[] = [];
  const reason = o.stop?.reason || "archived";
  const d = await decideThenApply(
    store,
    o,
    async (ops, lock) => {
      const jobs = await readJobs(ops, ids, lock);
      const live = await liveRunsOf(ops, jobs);
      if (lock && !o.force) refuseLive(live, "archive");
      return { ...split(jobs, (j) => (j.state === "ARCHIVED" ? "already ARCHIVED" : null)), live };
    },
    async (tx, { take, live }, now) => {
      cancelled = await cancelRuns(
        tx,
        live.map((l) => l.run),
        reason,
        now,
      );
      const moving = take.map((j) => j.id);
      // a live job goes through CANCELLED first: the state table has no RUNNING → ARCHIVED edge
      await tx.transitionJobs(moving, {
        from: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
        to: "CANCELLED",
        reason: "stopped to be archived",
        now,
      });
      await tx.transitionJobs(moving, {
        from: ["WAITING", "READY", "PAUSED", "CANCELLED", "COMPLETED", "FAILED", "HELD"],
        to: "ARCHIVED",
        reason: "archived",
        now,
      });
      await settleChildren(tx, moving, now);
    },
  );
  const stopped = cancelled.length > 0 ? await stopProcesses(cancelled, { ...o.stop, reason }) : null;
  return {
    changed: d.take.map(brief),
    skipped: d.skipped,
    live: d.live.map((l) => liveRun(l.job, l.run)),
    stopped,
  };
}

/**
 * Delete jobs with their runs and history — and their descendants, which could not run without
 * them. With `files`, launch directories are removed too (after the commit), but only those that
 * hold ferry's protocol folder (never an arbitrary path a job happened to record).
 */
export async function deleteJobs(
  store: Store,
  ids: readonly number[],
  o: { force?: boolean; files?: boolean; stop?: StopOptions } & ControlOptions = {},
): Promise<ControlResult & { descendants: Brief[]; removedDirs: string[] }> {
  let cancelled: Run[] = [];
  const reason = o.stop?.reason || "deleted";
  const d = await decideThenApply(
    store,
    o,
    async (ops, lock) => {
      const chosen = new Set(ids);
      const descIds = (await ops.descendantsOf(ids)).filter((id) => !chosen.has(id));
      const all = await readJobs(ops, [...ids, ...descIds], lock);
      const live = await liveRunsOf(ops, all);
      if (lock && !o.force) refuseLive(live, "delete");
      const dirs = (
        await ops.runsOfJobs(
          all.map((j) => j.id),
          { includeArchived: true },
        )
      )
        .map((r) => r.launchDir)
        .filter((x): x is string => x !== null);
      return { all, live, dirs: [...new Set(dirs)] };
    },
    async (tx, { all, live }, now) => {
      cancelled = await cancelRuns(
        tx,
        live.map((l) => l.run),
        reason,
        now,
      );
      await tx.deleteJobs(all.map((j) => j.id));
    },
  );
  const stopped = cancelled.length > 0 ? await stopProcesses(cancelled, { ...o.stop, reason }) : null;
  const removedDirs = o.files && !o.dryRun ? removeLaunchDirs(d.dirs) : [];
  const chosen = new Set(ids);
  return {
    changed: d.all.filter((j) => chosen.has(j.id)).map(brief),
    descendants: d.all.filter((j) => !chosen.has(j.id)).map(brief),
    skipped: [],
    live: d.live.map((l) => liveRun(l.job, l.run)),
    stopped,
    removedDirs,
  };
}

function removeLaunchDirs(dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    if (entries.some((e) => e === PROTOCOL_DIR || e.startsWith(`${PROTOCOL_DIR}.`))) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}

const EDITABLE: readonly JobState[] = ["WAITING", "READY", "PAUSED", "CANCELLED", "FAILED"];

/** Edit inputs/resources/priority of jobs that have not run (or failed: fix, then rerun). */
export async function updateJobs(
  store: Store,
  ids: readonly number[],
  edits: JobEdits,
  o: ControlOptions = {},
): Promise<ControlResult> {
  const d = await decideThenApply(
    store,
    o,
    async (ops, lock) => {
      const s = split(await readJobs(ops, ids, lock), (j) =>
        EDITABLE.includes(j.state)
          ? null
          : `${j.state}: only jobs that have not run (or failed) can be edited; rerun it first`,
      );
      const fields = new Map<number, ReturnType<typeof applyEdits>>();
      for (const j of s.take) {
        const f = applyEdits(j, edits);
        if (f.inputs) await checkReferences(ops, j, f.inputs);
        fields.set(j.id, f);
      }
      return { ...s, fields, lines: s.take.flatMap((j) => describeEdits(j, edits)) };
    },
    async (tx, { take, fields }, now) => {
      for (const j of take) await tx.updateJobs([j.id], fields.get(j.id) ?? {}, now);
    },
  );
  return { changed: d.take.map(brief), skipped: d.skipped, edits: d.lines };
}
