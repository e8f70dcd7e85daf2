/**
 * Apply a run's outcome, exactly once: the run row is updated only while it is still active and
 * not archived, so a second collector (another `recover`, a retried launcher) finds nothing to
 * do, and a result arriving after a forced rerun is kept on the archived run without touching
 * the job. Job transition, outputs, children's release and (later) actions are one transaction.
 */
import type { Outcome, RunFiles } from "../bundle/collect.ts";
import type { JsonObject, JsonValue } from "../model/json.ts";
import { ACTIVE_RUN_STATES, ACTIVE_STATES, type JobState } from "../model/states.ts";
import { type Checkpoint, type RunError, runError } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";
import { ActionError, applyActions } from "./actions.ts";

export interface RunOutcome {
  state: "COMPLETED" | "FAILED";
  outputs: JsonValue | null;
  /** The actions of the tasks, in order (applied by the engine's action step). */
  actions: (JsonObject | null)[];
  error: RunError | null;
  exitCode: number | null;
  checkpoint: Checkpoint | null;
  startedAt?: number | null;
  finishedAt: number;
  host?: string | null;
}

/** A finished bundle's files and collected outcome → the outcome the engine applies. */
export function outcomeFromBundle(files: RunFiles, o: Outcome): RunOutcome {
  return {
    state: o.state,
    outputs: o.outputs,
    actions: o.actions,
    error: o.error,
    exitCode: o.exitCode,
    checkpoint: { ...o.checkpoint, outputs: o.taskOutputs, actions: o.actions },
    startedAt: files.started ? files.started.at * 1000 : null,
    finishedAt: (files.result?.finishedAt ?? Math.floor(Date.now() / 1000)) * 1000,
    host: files.started?.host ?? null,
  };
}

const LIFT = {
  from: ["RESERVED", "STAGED"],
  to: "RUNNING",
  reason: "started (seen with its result)",
} as const;

/**
 * A result can appear while the job still reads RESERVED or STAGED: its submitter died before
 * recording the submission (or the start was never seen). The run did start — it wrote a result
 * — so the job goes through RUNNING first, which the state table allows, and then to its end.
 */
async function liftToRunning(
  tx: StoreOps,
  jobIds: readonly number[],
  runIds: Map<number, number>,
  now: number,
): Promise<void> {
  await tx.transitionJobs(jobIds, { ...LIFT, runId: runIds, now });
}

export interface Applied {
  applied: boolean;
  /** Why nothing was applied: the run is no longer active, or was archived by a rerun. */
  stale?: "finished" | "archived" | "missing";
  jobId: number;
  jobState: JobState | null;
  promoted: number[];
}

export async function applyOutcome(
  tx: StoreOps,
  runId: number,
  outcome: RunOutcome,
  now: number,
): Promise<Applied> {
  const patch = {
    state: outcome.state,
    finishedAt: outcome.finishedAt,
    outputs: outcome.outputs,
    error: outcome.error,
    exitCode: outcome.exitCode,
    checkpoint: outcome.checkpoint,
    leaseExpiresAt: null,
    ...(outcome.startedAt ? { startedAt: outcome.startedAt } : {}),
    ...(outcome.host ? { host: outcome.host } : {}),
  };
  const changed = await tx.updateRuns([runId], patch, now, { states: ACTIVE_RUN_STATES, archived: false });
  const run = await tx.getRun(runId);
  if (!run) return { applied: false, stale: "missing", jobId: -1, jobState: null, promoted: [] };
  if (changed === 0) {
    // keep a late result on an archived run for the record, without touching the job
    const late = await tx.updateRuns([runId], patch, now, { states: ACTIVE_RUN_STATES, archived: true });
    return {
      applied: false,
      stale: late > 0 || run.archived ? "archived" : "finished",
      jobId: run.jobId,
      jobState: null,
      promoted: [],
    };
  }
  let state = outcome.state;
  let outputs = outcome.outputs;
  const patchJob: { outputs?: JsonValue | null; storedData?: JsonObject; recovery?: null } = {};
  if (outcome.actions.some((a) => a !== null))
    await tx.updateRuns([runId], { action: { tasks: outcome.actions } }, now);
  if (state === "COMPLETED" && outcome.actions.some((a) => a !== null)) {
    const job = await tx.getJob(run.jobId);
    try {
      const result = await tx.savepoint(() =>
        applyActions(tx, { job: job!, runId, actions: outcome.actions, now }),
      );
      if (result.outputs !== undefined) outputs = result.outputs as JsonValue;
      if (result.storedData !== undefined) patchJob.storedData = result.storedData;
    } catch (e) {
      if (!(e instanceof ActionError)) throw e;
      state = "FAILED";
      const error = runError("action", `its action was refused: ${e.message}`, {
        exitCode: outcome.exitCode,
      });
      await tx.updateRuns([runId], { state: "FAILED", error, outputs: null }, now);
      outcome = { ...outcome, error };
    }
  }
  await liftToRunning(tx, [run.jobId], new Map([[run.jobId, runId]]), now);
  const moved = await tx.transitionJobs([run.jobId], {
    from: ACTIVE_STATES,
    to: state,
    reason: state === "COMPLETED" ? "run completed" : (outcome.error?.message ?? "run failed"),
    runId,
    now,
  });
  if (moved.length === 0) {
    const job = await tx.getJob(run.jobId);
    return { applied: true, jobId: run.jobId, jobState: job?.state ?? null, promoted: [] };
  }
  if (state === "COMPLETED") {
    patchJob.outputs = outputs;
    // task-level recovery is spent once the job completes: a later rerun starts from the first task
    patchJob.recovery = null;
  }
  if (Object.keys(patchJob).length > 0) await tx.updateJobs([run.jobId], patchJob, now);
  const promoted = await tx.releaseChildren([run.jobId], state, now);
  return { applied: true, jobId: run.jobId, jobState: state, promoted };
}

/**
 * Apply many outcomes in one transaction (offline recover): outcomes with actions go one by one
 * through applyOutcome; the others share set-based steps — one guarded UPDATE per run, then the
 * job transitions, outputs and child releases for the whole batch. On PostgreSQL this cuts
 * round trips per outcome from about eleven to two.
 */
export async function applyOutcomes(
  tx: StoreOps,
  items: readonly { runId: number; outcome: RunOutcome }[],
  now: number,
): Promise<Applied[]> {
  const results: Applied[] = new Array(items.length);
  const plain: { i: number; runId: number; outcome: RunOutcome }[] = [];
  for (const [i, it] of items.entries()) {
    // Actions change the graph, one job at a time, each in its own savepoint.
    if (it.outcome.actions.some((a) => a !== null))
      results[i] = await applyOutcome(tx, it.runId, it.outcome, now);
    else plain.push({ i, runId: it.runId, outcome: it.outcome });
  }
  const finished = await tx.finishRuns(
    plain.map(({ runId, outcome: o }) => ({
      runId,
      patch: {
        state: o.state,
        finishedAt: o.finishedAt,
        outputs: o.outputs,
        error: o.error,
        exitCode: o.exitCode,
        checkpoint: o.checkpoint,
        leaseExpiresAt: null,
        ...(o.startedAt ? { startedAt: o.startedAt } : {}),
        ...(o.host ? { host: o.host } : {}),
      },
    })),
    now,
  );
  const owned: { i: number; jobId: number; runId: number; outcome: RunOutcome }[] = [];
  for (const x of plain) {
    const jobId = finished.get(x.runId);
    if (jobId === undefined)
      results[x.i] = await applyOutcome(tx, x.runId, x.outcome, now); // stale: record it as applyOutcome does
    else owned.push({ ...x, jobId });
  }
  for (const state of ["COMPLETED", "FAILED"] as const) {
    const mine = owned.filter((x) => x.outcome.state === state);
    if (mine.length === 0) continue;
    const moved = await tx.transitionJobs(
      mine.map((x) => x.jobId),
      {
        from: ACTIVE_STATES,
        to: state,
        reason: state === "COMPLETED" ? "run completed" : "run failed",
        runId: new Map(mine.map((x) => [x.jobId, x.runId])),
        now,
        through: LIFT,
      },
    );
    const movedIds = new Set(moved.map((m) => m.id));
    if (state === "COMPLETED") {
      await tx.completeOutputs(
        mine
          .filter((x) => movedIds.has(x.jobId))
          .map((x) => ({ jobId: x.jobId, outputs: x.outcome.outputs })),
        now,
      );
    }
    const promoted = await tx.releaseChildren([...movedIds], state, now);
    for (const x of mine)
      results[x.i] = {
        applied: true,
        jobId: x.jobId,
        jobState: movedIds.has(x.jobId) ? state : null,
        promoted: movedIds.has(x.jobId) ? promoted : [],
      };
  }
  return results;
}
