/**
 * `ferry rerun`: archive a job's runs (kept, shown by `jobs show --runs`), reset it to READY or
 * WAITING and its descendants to WAITING, in one transaction.
 *
 * Differences from FireWorks (reference/fireworks.md §5), on purpose:
 * - a job with a live run (queued, running) is refused unless --force, which stops the run first
 *   (engine/stop.ts) — FireWorks silently orphans it and may start a second copy;
 * - PAUSED and CANCELLED descendants keep their state (a user's hold is not undone by an
 *   upstream rerun); their counts of unfinished parents are recomputed;
 * - task-level recovery is kept on the job until the job completes, or until --clear-recovery
 *   (FireWorks documents --clear-recovery but removed it in 2017); a plain rerun of a job with
 *   saved recovery resumes at the saved task and says so;
 * - dynamic actions the job already took are not undone, and are listed as warnings.
 */
import { collectTaskFiles } from "../bundle/collect.ts";
import { ConflictError } from "../model/errors.ts";
import { ACTIVE_STATES, isActive, type JobState } from "../model/states.ts";
import type { Job, Recovery, Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { type StopOptions, type StopReport, stopLiveRuns } from "./stop.ts";
import { applyEdits, type JobEdits } from "./update.ts";

export interface RerunOptions {
  force?: boolean;
  taskLevel?: boolean;
  /** Task-level: copy the previous launch dir's files into the new one, or run in the old dir. */
  dirMode?: "fresh" | "copy" | "reuse";
  clearRecovery?: boolean;
  /** Edits applied with the rerun, e.g. a longer walltime: {"resources.walltime": "4:00:00"}. */
  set?: JobEdits;
  /** Reads a lost run's launch directory for a task-level rerun (the caller's machine). */
  transport?: Transport;
}

interface Brief {
  id: number;
  name: string;
  state: JobState;
}

export interface RerunPlan {
  /** Selected jobs that will be reset. */
  jobs: Brief[];
  /** Their descendants reset to WAITING (PAUSED and CANCELLED ones keep their state). */
  descendants: Brief[];
  skipped: (Brief & { reason: string })[];
  /** Jobs with a live run: refused without --force. */
  live: { job: Brief; run: Run }[];
  /** Where each selected job will resume (task-level, or saved recovery). */
  resume: { jobId: number; startTask: number; dirMode: Recovery["dirMode"] }[];
  /** Dynamic actions already taken by the selected jobs, which a rerun does not undo. */
  warnings: string[];
}

export interface RerunResult extends RerunPlan {
  stopped: StopReport | null;
  ready: number[];
}

const brief = (j: Job): Brief => ({ id: j.id, name: j.name, state: j.state });

async function recoveryFor(
  job: Job,
  run: Run | undefined,
  dirMode: Recovery["dirMode"],
  transport: Transport | undefined,
): Promise<Recovery> {
  if (!run?.checkpoint) {
    throw new ConflictError(
      `job ${job.id} "${job.name}" has no checkpoint to resume from (it never started a task)`,
      [job.id],
    );
  }
  if (job.state === "COMPLETED" || run.state === "COMPLETED") {
    throw new ConflictError(
      `job ${job.id} "${job.name}" completed: a task-level rerun resumes a failed or interrupted run; rerun it without --task-level`,
      [job.id],
    );
  }
  const start = run.checkpoint.task;
  let outputs = run.checkpoint.outputs;
  let actions = run.checkpoint.actions;
  if ((!outputs || outputs.length < start) && run.launchDir && transport) {
    // a lost run: its finished tasks' files are still in the launch dir
    const files = await collectTaskFiles(transport, run.launchDir, job.recovery, start);
    outputs = files.outputs;
    actions = files.actions;
  }
  return {
    startTask: start,
    outputs: (outputs ?? []).slice(0, start),
    actions: (actions ?? []).slice(0, start),
    previousDir: run.launchDir,
    dirMode,
    fromRunId: run.id,
  };
}

export async function planRerun(
  store: Store,
  ids: readonly number[],
  o: RerunOptions = {},
): Promise<RerunPlan & { recovery: Map<number, Recovery | null> }> {
  const selected = await store.getJobs(ids);
  const descIds = (await store.descendantsOf(ids)).filter((id) => !ids.includes(id));
  const descendants = await store.getJobs(descIds);
  const plan: RerunPlan & { recovery: Map<number, Recovery | null> } = {
    jobs: [],
    descendants: [],
    skipped: [],
    live: [],
    resume: [],
    warnings: [],
    recovery: new Map(),
  };
  const current = await store.currentRuns([...ids, ...descIds]);
  for (const j of selected) {
    if (j.state === "ARCHIVED") plan.skipped.push({ ...brief(j), reason: "archived" });
    else plan.jobs.push(brief(j));
  }
  for (const j of descendants) {
    if (j.state === "ARCHIVED") plan.skipped.push({ ...brief(j), reason: "archived" });
    else plan.descendants.push(brief(j));
  }
  for (const b of [...plan.jobs, ...plan.descendants]) {
    const run = current.get(b.id);
    // a forgotten offline run is nobody's to collect (`ferry offline forget`): rerunning leaves it
    if (isActive(b.state) && run && !run.forgotten) plan.live.push({ job: b, run });
  }
  for (const j of selected.filter((x) => x.state !== "ARCHIVED")) {
    let recovery: Recovery | null = o.clearRecovery ? null : j.recovery;
    if (o.taskLevel) recovery = await recoveryFor(j, current.get(j.id), o.dirMode ?? "fresh", o.transport);
    plan.recovery.set(j.id, recovery);
    if (recovery) plan.resume.push({ jobId: j.id, startTask: recovery.startTask, dirMode: recovery.dirMode });
  }
  const runs = await store.runsOfJobs(ids, { includeArchived: true });
  const runIds = new Set(runs.map((r) => r.id));
  const added = (
    await store.findJobs({ flowIds: [...new Set(selected.map((j) => j.flowId))], includeArchived: true })
  ).filter((x) => x.addedByRun !== null && runIds.has(x.addedByRun));
  for (const j of selected) {
    const mine = added.filter((a) => runs.some((r) => r.id === a.addedByRun && r.jobId === j.id));
    if (mine.length > 0) {
      plan.warnings.push(
        `job ${j.id} "${j.name}" added ${mine.map((m) => `${m.name}#${m.id}`).join(", ")} in earlier runs; they are not removed (an addition with the same names will not be repeated)`,
      );
    }
    const edited = runs.filter(
      (r) => r.jobId === j.id && JSON.stringify(r.action ?? {}).match(/"(updateChildren|modifyChildren)"/),
    );
    if (edited.length > 0)
      plan.warnings.push(
        `job ${j.id} "${j.name}" changed its children's inputs in earlier runs; those changes stay`,
      );
  }
  return plan;
}

export async function rerunJobs(
  store: Store,
  ids: readonly number[],
  o: RerunOptions & { stop?: StopOptions } = {},
): Promise<RerunResult> {
  const transport = o.transport ?? o.stop?.transport;
  const plan = await planRerun(store, ids, { ...o, ...(transport ? { transport } : {}) });
  if (plan.live.length > 0 && !o.force) {
    throw new ConflictError(
      `${plan.live.map((l) => `job ${l.job.id} "${l.job.name}" is ${l.job.state}`).join("; ")}: rerunning would orphan a live run — stop it with --force, or wait`,
      plan.live.map((l) => l.job.id),
    );
  }
  const stopped =
    plan.live.length > 0
      ? await stopLiveRuns(
          store,
          plan.live.map((l) => l.run),
          { reason: "stopped for a rerun", ...o.stop, ...(transport ? { transport } : {}) },
        )
      : null;
  const now = Date.now();
  const selected = plan.jobs.map((j) => j.id);
  const preserved = plan.descendants
    .filter((d) => d.state === "PAUSED" || d.state === "CANCELLED")
    .map((d) => d.id);
  const reset = [...selected, ...plan.descendants.map((d) => d.id).filter((id) => !preserved.includes(id))];
  const ready = await store.transaction(async (tx) => {
    await tx.archiveRuns(reset, now);
    await tx.updateJobs(reset, { outputs: null, storedData: null }, now);
    const descReset = reset.filter((id) => !selected.includes(id));
    if (descReset.length > 0) await tx.updateJobs(descReset, { recovery: null }, now);
    for (const id of selected) {
      const job = (await tx.getJobs([id]))[0]!;
      const edits = o.set ? applyEdits(job, o.set) : {};
      await tx.updateJobs([id], { recovery: plan.recovery.get(id) ?? null, ...edits }, now);
    }
    const resettable: JobState[] = [
      "READY",
      "COMPLETED",
      "FAILED",
      "CANCELLED",
      "PAUSED",
      "HELD",
      ...ACTIVE_STATES,
    ];
    await tx.transitionJobs(selected, { from: resettable, to: "WAITING", reason: "rerun", now });
    await tx.transitionJobs(descReset, {
      from: resettable,
      to: "WAITING",
      reason: "rerun of an ancestor",
      now,
    });
    await tx.recountParents([...reset, ...preserved]);
    return tx.promoteReady(selected, now);
  });
  return { ...plan, stopped, ready };
}

/** For JSON output: recovery maps are internal. */
export function planForDisplay(plan: RerunPlan & { recovery?: unknown }): RerunPlan {
  const { recovery: _, ...rest } = plan as RerunPlan & { recovery?: unknown };
  return rest;
}
