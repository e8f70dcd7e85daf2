/**
 * `ferry rerun`: archive a job's runs (kept, shown by `jobs show --runs`), reset it to READY or
 * WAITING and its descendants to WAITING, in one transaction.
 *
 * Differences from FireWorks (`LaunchPad.rerun_fw` in fireworks/core/launchpad.py), on purpose:
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
import type { Store, StoreOps } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { type Brief, brief, type LiveRun, liveRun, readJobs } from "./decide.ts";
import { cancelRuns, collectWritten, type StopOptions, type StopReport, stopProcesses } from "./stop.ts";
import { applyEdits, describeEdits, type EditLine, type JobEdits } from "./update.ts";

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

export interface RerunPlan {
  /** Selected jobs that will be reset. */
  jobs: Brief[];
  /** Their descendants reset to WAITING (PAUSED and CANCELLED ones keep their state). */
  descendants: Brief[];
  skipped: (Brief & { reason: string })[];
  /** Jobs with a live run: refused without --force, stopped first with it. */
  live: LiveRun[];
  /**
   * Where each selected job will resume: `task-level` (this rerun asked for it) or `saved` (an
   * earlier task-level rerun's recovery, kept until the job completes or --clear-recovery).
   */
  resume: {
    jobId: number;
    name: string;
    startTask: number;
    dirMode: Recovery["dirMode"];
    from: "task-level" | "saved";
    fromRunId: number;
  }[];
  /** Jobs whose saved recovery --clear-recovery forgets: they start again at task 0. */
  cleared: { jobId: number; name: string; savedTask: number }[];
  /** --set edits applied with the rerun, field by field. */
  edits: EditLine[];
  /** Dynamic actions already taken by the selected jobs, which a rerun does not undo. */
  warnings: string[];
}

export interface RerunResult extends RerunPlan {
  stopped: StopReport | null;
  ready: number[];
}

export interface RerunRunOptions extends RerunOptions {
  stop?: StopOptions;
  /** Plan and report, change nothing. */
  dryRun?: boolean;
}

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

interface Decision {
  plan: Omit<RerunPlan, "warnings">;
  selected: Job[];
  recovery: Map<number, Recovery | null>;
  liveRuns: Run[];
}

/**
 * What a rerun of `ids` does, decided from `ops` — inside the rerun's transaction with the rows
 * locked (`lock`), or from a plain read for a dry run.
 */
async function decideRerun(
  ops: StoreOps,
  ids: readonly number[],
  o: RerunOptions,
  lock: boolean,
): Promise<Decision> {
  // sets, not arrays: a rerun may select 10,000 jobs, and `includes` made it quadratic
  const chosen = new Set(ids);
  const descIds = (await ops.descendantsOf(ids)).filter((id) => !chosen.has(id));
  const all = await readJobs(ops, [...ids, ...descIds], lock);
  const selected = all.filter((j) => chosen.has(j.id));
  const descendants = all.filter((j) => !chosen.has(j.id));
  const plan: Decision["plan"] = {
    jobs: [],
    descendants: [],
    skipped: [],
    live: [],
    resume: [],
    cleared: [],
    edits: [],
  };
  const liveRuns: Run[] = [];
  const recovery = new Map<number, Recovery | null>();
  const current = await ops.currentRuns(all.map((j) => j.id));
  for (const j of all) {
    if (j.state === "ARCHIVED") plan.skipped.push({ ...brief(j), reason: "archived" });
    else (chosen.has(j.id) ? plan.jobs : plan.descendants).push(brief(j));
  }
  for (const j of [...selected, ...descendants]) {
    const run = current.get(j.id);
    // a forgotten offline run is nobody's to collect (`ferry offline forget`): rerunning leaves it
    if (j.state !== "ARCHIVED" && isActive(j.state) && run && !run.forgotten) {
      plan.live.push(liveRun(j, run));
      liveRuns.push(run);
    }
  }
  for (const j of selected.filter((x) => x.state !== "ARCHIVED")) {
    let r: Recovery | null = o.clearRecovery ? null : j.recovery;
    if (o.clearRecovery && j.recovery)
      plan.cleared.push({ jobId: j.id, name: j.name, savedTask: j.recovery.startTask });
    if (o.taskLevel) r = await recoveryFor(j, current.get(j.id), o.dirMode ?? "fresh", o.transport);
    recovery.set(j.id, r);
    if (r)
      plan.resume.push({
        jobId: j.id,
        name: j.name,
        startTask: r.startTask,
        dirMode: r.dirMode,
        from: o.taskLevel ? "task-level" : "saved",
        fromRunId: r.fromRunId,
      });
    if (o.set) {
      applyEdits(j, o.set); // validates: a bad --set refuses the whole rerun
      plan.edits.push(...describeEdits(j, o.set));
    }
  }
  return { plan, selected, recovery, liveRuns };
}

/** Dynamic actions the selected jobs took in earlier runs: a rerun does not undo them. */
async function rerunWarnings(store: StoreOps, ids: readonly number[]): Promise<string[]> {
  const warnings: string[] = [];
  const selected = await store.getJobs(ids);
  const runs = await store.runsOfJobs(ids, { includeArchived: true });
  const runIds = new Set(runs.map((r) => r.id));
  const added = (
    await store.findJobs({ flowIds: [...new Set(selected.map((j) => j.flowId))], includeArchived: true })
  ).filter((x) => x.addedByRun !== null && runIds.has(x.addedByRun));
  for (const j of selected) {
    const mine = added.filter((a) => runs.some((r) => r.id === a.addedByRun && r.jobId === j.id));
    if (mine.length > 0) {
      warnings.push(
        `job ${j.id} "${j.name}" added ${mine.map((m) => `${m.name}#${m.id}`).join(", ")} in earlier runs; they are not removed (an addition with the same names will not be repeated)`,
      );
    }
    const edited = runs.filter(
      (r) => r.jobId === j.id && JSON.stringify(r.action ?? {}).match(/"(updateChildren|modifyChildren)"/),
    );
    if (edited.length > 0)
      warnings.push(
        `job ${j.id} "${j.name}" changed its children's inputs in earlier runs; those changes stay`,
      );
  }
  return warnings;
}

const RESETTABLE: JobState[] = [
  "READY",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "PAUSED",
  "HELD",
  ...ACTIVE_STATES,
];

async function applyRerun(tx: StoreOps, d: Decision, o: RerunRunOptions, now: number): Promise<number[]> {
  const { plan } = d;
  const selected = plan.jobs.map((j) => j.id);
  const isSelected = new Set(selected);
  const preserved = plan.descendants
    .filter((x) => x.state === "PAUSED" || x.state === "CANCELLED")
    .map((x) => x.id);
  const isPreserved = new Set(preserved);
  const reset = [...selected, ...plan.descendants.map((x) => x.id).filter((id) => !isPreserved.has(id))];
  await tx.archiveRuns(reset, now);
  await tx.updateJobs(reset, { outputs: null, storedData: null }, now);
  const descReset = reset.filter((id) => !isSelected.has(id));
  if (descReset.length > 0) await tx.updateJobs(descReset, { recovery: null }, now);
  for (const job of d.selected.filter((j) => isSelected.has(j.id))) {
    const edits = o.set ? applyEdits(job, o.set) : {};
    await tx.updateJobs([job.id], { recovery: d.recovery.get(job.id) ?? null, ...edits }, now);
  }
  await tx.transitionJobs(selected, { from: RESETTABLE, to: "WAITING", reason: "rerun", now });
  await tx.transitionJobs(descReset, {
    from: RESETTABLE,
    to: "WAITING",
    reason: "rerun of an ancestor",
    now,
  });
  await tx.recountParents([...reset, ...preserved]);
  return tx.promoteReady(selected, now);
}

/**
 * Rerun `ids`. The decision (what is reset, which runs are live, where each job resumes) is
 * taken inside the transaction that makes the change, from rows read under its lock: a launcher
 * that claims a job after a dry run or a confirmation prompt makes the rerun refuse (or, with
 * --force, stop that run) — it can never archive a live run and set its job READY.
 */
export async function rerunJobs(
  store: Store,
  ids: readonly number[],
  o: RerunRunOptions = {},
): Promise<RerunResult> {
  const warnings = await rerunWarnings(store, ids);
  if (o.dryRun) {
    const d = await decideRerun(store, ids, o, false);
    return { ...d.plan, warnings, stopped: null, ready: [] };
  }
  const reason = o.stop?.reason || "stopped for a rerun";
  const transport = o.transport ?? o.stop?.transport;
  const opts: RerunRunOptions = transport ? { ...o, transport } : o;
  // a forced rerun first collects results already written, so their work is archived with the
  // run (COMPLETED, with outputs) instead of being recorded CANCELLED and dropped
  const collected = { collected: [] as number[], problems: [] as string[] };
  if (o.force && transport) {
    const seen = await decideRerun(store, ids, opts, false);
    if (seen.liveRuns.length > 0) await collectWritten(store, transport, seen.liveRuns, collected);
  }
  let cancelled: Run[] = [];
  const { d, ready } = await store.transaction(async (tx) => {
    const d = await decideRerun(tx, ids, opts, true);
    if (d.plan.live.length > 0 && !o.force) {
      throw new ConflictError(
        `${d.plan.live.map((l) => `job ${l.job.id} "${l.job.name}" is ${l.job.state}`).join("; ")}: rerunning would orphan a live run — stop it with --force, or wait`,
        d.plan.live.map((l) => l.job.id),
      );
    }
    const now = Date.now();
    cancelled = await cancelRuns(tx, d.liveRuns, reason, now);
    return { d, ready: await applyRerun(tx, d, o, now) };
  });
  const stop = { ...o.stop, reason, ...(transport ? { transport } : {}) };
  let stopped: StopReport | null = null;
  if (cancelled.length > 0 || collected.collected.length > 0) {
    stopped = await stopProcesses(cancelled, stop, collected.collected);
    stopped.problems.unshift(...collected.problems);
  }
  return { ...d.plan, warnings, stopped, ready };
}
