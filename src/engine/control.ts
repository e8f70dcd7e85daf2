/**
 * Job control: pause, resume, cancel, reignite, archive, delete, set-priority, update. Each takes
 * job ids (already selected), changes what it may in one transaction, and reports what it
 * changed and what it skipped with the reason — never an "all" by default (cli/selectors.ts).
 */
import { readdirSync, rmSync } from "node:fs";
import { PROTOCOL_DIR } from "../bundle/layout.ts";
import { findReferences } from "../flow/references.ts";
import { ConflictError, type Issue, ValidationError } from "../model/errors.ts";
import { isActive, type JobState } from "../model/states.ts";
import type { Job } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import { type StopOptions, type StopReport, stopLiveRuns } from "./stop.ts";
import { applyEdits, type JobEdits } from "./update.ts";

export interface Brief {
  id: number;
  name: string;
  state: JobState;
}

export interface ControlResult {
  changed: Brief[];
  skipped: (Brief & { reason: string })[];
  stopped?: StopReport | null;
}

const brief = (j: Job): Brief => ({ id: j.id, name: j.name, state: j.state });

function split(
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

/** After parents changed state outside a completion: exact counts, and READY only if still runnable. */
async function settleChildren(tx: StoreOps, parentIds: readonly number[], now: number): Promise<void> {
  const children = [...new Set([...(await tx.childrenOf(parentIds)).values()].flat())];
  await tx.recountParents(children);
  await tx.demoteWaiting(children, now);
  await tx.promoteReady(children, now);
}

export async function pauseJobs(store: Store, ids: readonly number[]): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    j.state === "WAITING" || j.state === "READY"
      ? null
      : `${j.state}: only WAITING or READY jobs can be paused`,
  );
  await store.transaction((tx) =>
    tx.transitionJobs(
      take.map((j) => j.id),
      { from: ["WAITING", "READY"], to: "PAUSED", reason: "paused", now: Date.now() },
    ),
  );
  return { changed: take.map(brief), skipped };
}

/** PAUSED → READY (parents done) or WAITING. */
export async function resumeJobs(store: Store, ids: readonly number[]): Promise<ControlResult> {
  return release(store, ids, "PAUSED", "resumed");
}

/** CANCELLED → READY or WAITING (FireWorks' reignite). */
export async function reigniteJobs(store: Store, ids: readonly number[]): Promise<ControlResult> {
  return release(store, ids, "CANCELLED", "reignited");
}

async function release(
  store: Store,
  ids: readonly number[],
  from: "PAUSED" | "CANCELLED",
  reason: string,
): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    j.state === from ? null : `${j.state}, not ${from}`,
  );
  const now = Date.now();
  const moved = take.map((j) => j.id);
  await store.transaction(async (tx) => {
    await tx.transitionJobs(moved, { from: [from], to: "WAITING", reason, now });
    await tx.recountParents(moved);
    await tx.promoteReady(moved, now);
  });
  return { changed: take.map(brief), skipped };
}

/**
 * Cancel: any job that has not finished. A live run is stopped (its scheduler job cancelled);
 * the children do not run until the job is reignited or rerun.
 */
export async function cancelJobs(
  store: Store,
  ids: readonly number[],
  stop: StopOptions = { reason: "cancelled" },
): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    j.state === "COMPLETED" || j.state === "CANCELLED" || j.state === "ARCHIVED"
      ? `already ${j.state}`
      : null,
  );
  const live = [
    ...(await store.currentRuns(take.filter((j) => isActive(j.state)).map((j) => j.id))).values(),
  ];
  const stopped =
    live.length > 0 ? await stopLiveRuns(store, live, { ...stop, reason: stop.reason || "cancelled" }) : null;
  const now = Date.now();
  await store.transaction(async (tx) => {
    const moved = await tx.transitionJobs(
      take.map((j) => j.id),
      {
        from: [
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
        ],
        to: "CANCELLED",
        reason: "cancelled",
        now,
      },
    );
    // a cancelled FAILED parent no longer lets its allow-failed children run
    await settleChildren(
      tx,
      moved.map((m) => m.id),
      now,
    );
  });
  return { changed: take.map(brief), skipped, stopped };
}

export async function archiveJobs(
  store: Store,
  ids: readonly number[],
  o: { force?: boolean; stop?: StopOptions } = {},
): Promise<ControlResult> {
  const jobs = await store.getJobs(ids);
  const active = jobs.filter((j) => isActive(j.state));
  if (active.length > 0 && !o.force) {
    throw new ConflictError(
      `${active.map((j) => `job ${j.id} "${j.name}" is ${j.state}`).join("; ")}: archive would orphan a live run — use --force to stop it first`,
      active.map((j) => j.id),
    );
  }
  const live = [...(await store.currentRuns(active.map((j) => j.id))).values()];
  const stopped = live.length > 0 ? await stopLiveRuns(store, live, { reason: "archived", ...o.stop }) : null;
  const { take, skipped } = split(jobs, (j) => (j.state === "ARCHIVED" ? "already ARCHIVED" : null));
  const now = Date.now();
  await store.transaction(async (tx) => {
    const ids = take.map((j) => j.id);
    // a live job goes through CANCELLED first: the state table has no RUNNING → ARCHIVED edge
    await tx.transitionJobs(ids, {
      from: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      to: "CANCELLED",
      reason: "stopped to be archived",
      now,
    });
    await tx.transitionJobs(ids, {
      from: ["WAITING", "READY", "PAUSED", "CANCELLED", "COMPLETED", "FAILED", "HELD"],
      to: "ARCHIVED",
      reason: "archived",
      now,
    });
    await settleChildren(tx, ids, now);
  });
  return { changed: take.map(brief), skipped, stopped };
}

/**
 * Delete jobs with their runs and history — and their descendants, which could not run without
 * them. With `files`, launch directories are removed too, but only those that hold ferry's
 * protocol folder (never an arbitrary path a job happened to record).
 */
export async function deleteJobs(
  store: Store,
  ids: readonly number[],
  o: { force?: boolean; files?: boolean; stop?: StopOptions } = {},
): Promise<ControlResult & { descendants: Brief[]; removedDirs: string[] }> {
  const descIds = (await store.descendantsOf(ids)).filter((id) => !ids.includes(id));
  const all = await store.getJobs([...ids, ...descIds]);
  const active = all.filter((j) => isActive(j.state));
  if (active.length > 0 && !o.force) {
    throw new ConflictError(
      `${active.map((j) => `job ${j.id} "${j.name}" is ${j.state}`).join("; ")}: delete would orphan a live run — use --force to stop it first`,
      active.map((j) => j.id),
    );
  }
  const live = [...(await store.currentRuns(active.map((j) => j.id))).values()];
  const stopped = live.length > 0 ? await stopLiveRuns(store, live, { reason: "deleted", ...o.stop }) : null;
  const runs = await store.runsOfJobs(
    all.map((j) => j.id),
    { includeArchived: true },
  );
  await store.transaction((tx) => tx.deleteJobs(all.map((j) => j.id)));
  const removedDirs: string[] = [];
  if (o.files) {
    for (const dir of new Set(runs.map((r) => r.launchDir).filter((d): d is string => d !== null))) {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      if (entries.some((e) => e === PROTOCOL_DIR || e.startsWith(`${PROTOCOL_DIR}.`))) {
        rmSync(dir, { recursive: true, force: true });
        removedDirs.push(dir);
      }
    }
  }
  const selected = all.filter((j) => ids.includes(j.id));
  return {
    changed: selected.map(brief),
    descendants: all.filter((j) => !ids.includes(j.id)).map(brief),
    skipped: [],
    stopped,
    removedDirs,
  };
}

export async function setPriority(
  store: Store,
  ids: readonly number[],
  priority: number,
): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    j.state === "ARCHIVED" ? "ARCHIVED" : null,
  );
  await store.transaction((tx) =>
    tx.updateJobs(
      take.map((j) => j.id),
      { priority },
      Date.now(),
    ),
  );
  return { changed: take.map(brief), skipped };
}

const EDITABLE: readonly JobState[] = ["WAITING", "READY", "PAUSED", "CANCELLED", "FAILED"];

/** Edit inputs/resources/priority of jobs that have not run (or failed: fix, then rerun). */
export async function updateJobs(
  store: Store,
  ids: readonly number[],
  edits: JobEdits,
): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    EDITABLE.includes(j.state)
      ? null
      : `${j.state}: only jobs that have not run (or failed) can be edited; rerun it first`,
  );
  const now = Date.now();
  await store.transaction(async (tx) => {
    for (const j of take) {
      const fields = applyEdits(j, edits);
      if (fields.inputs) {
        // ancestors in other flows (cross-flow references) are named "<flow>/<job>"
        const key = (flow: number, name: string) => (flow === j.flowId ? name : `${flow}/${name}`);
        const ancestors = new Set(
          (await tx.getJobs(await tx.ancestorsOf([j.id]))).map((a) => key(a.flowId, a.name)),
        );
        const bad: Issue[] = findReferences(fields.inputs)
          .filter((r) => !ancestors.has(key(r.flow ?? j.flowId, r.job)))
          .map((r) => ({
            job: j.name,
            field: r.at,
            message: `reference to "${r.job}", which is not an ancestor of "${j.name}"`,
          }));
        if (bad.length > 0) throw new ValidationError(`cannot update job ${j.id} "${j.name}"`, bad);
      }
      await tx.updateJobs([j.id], fields, now);
    }
  });
  return { changed: take.map(brief), skipped };
}

/**
 * `ferry retry`: release HELD jobs (a submission the scheduler refused, an infrastructure
 * failure past its retries) to the state they were held from, or READY to be submitted again.
 */
export async function retryJobs(store: Store, ids: readonly number[]): Promise<ControlResult> {
  const { take, skipped } = split(await store.getJobs(ids), (j) =>
    j.state === "HELD" ? null : `${j.state}, not HELD`,
  );
  const now = Date.now();
  await store.transaction(async (tx) => {
    const back = take.map((j) => j.id);
    await tx.transitionJobs(back, { from: ["HELD"], to: "WAITING", reason: "retry", now });
    await tx.updateJobs(back, { heldFrom: null }, now);
    await tx.recountParents(back);
    await tx.promoteReady(back, now);
  });
  return { changed: take.map(brief), skipped };
}
