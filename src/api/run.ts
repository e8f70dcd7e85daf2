/** Running jobs here (`launch`), through pilot jobs (`qlaunch`), and finding lost runs. */
import type { LaunchSummary } from "../launcher/launch.ts";
import { NotFoundError, UsageError } from "../model/errors.ts";
import type { DeadSubmissions } from "../offline/adopt.ts";
import type { QlaunchSummary } from "../qlaunch/qlaunch.ts";
import type { ApiContext } from "./context.ts";
import { checkExists, selectionFilter } from "./selection.ts";
import { workerOfMode } from "./workers.ts";

export type { LaunchSummary, QlaunchSummary };

export interface LaunchRequest {
  /** A pull worker (default: the project's default worker). */
  worker?: string;
  /** Run one job and stop (FireWorks' singleshot). */
  once?: boolean;
  /** Stop after claiming this many jobs. */
  maxJobs?: number;
  /** Stop claiming after this long (ms); running jobs finish. */
  timeoutMs?: number;
  /** Jobs at once (default: the worker's concurrency). */
  concurrency?: number;
  /** Only jobs of these categories (default: the worker's). */
  categories?: readonly string[];
  /** Run exactly this reserved run (what a reservation-mode pilot does). */
  runId?: number;
  /** Only jobs of these flows (each must exist). */
  flowIds?: readonly number[];
  /** Stop claiming new jobs; running ones finish. */
  stop?: AbortSignal;
  /** Interrupt running jobs (they go back to READY; the interrupted run is kept). */
  abort?: AbortSignal;
  /** The batch system's job id this launch runs in (recorded in each run's started.json). */
  schedulerJobId?: string;
  /** A "warning" event tells running jobs that the walltime ends soon (the scheduler's USR1). */
  warnings?: EventTarget;
  /** Supervise tasks in the launcher process (default) or through one run.sh per job. */
  supervise?: boolean;
  /**
   * What starts supervised tasks: the Python task supervisor (default, the task-shell spawner
   * where no python3 runs), the task-shell spawner ("shell"), or the launcher itself (false).
   */
  spawner?: boolean | "supervisor" | "shell";
}

/** Whole and positive, or a usage error naming the option. */
export function positiveInteger(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new UsageError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export function positiveNumber(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${what} must be a positive number, got ${value}`);
  return value;
}

/** Claim READY jobs and run them on this machine until none is left (or a limit is reached). */
export async function launchJobs(ctx: ApiContext, o: LaunchRequest = {}): Promise<LaunchSummary> {
  const worker = workerOfMode(ctx.project, o.worker, "pull", "ferry launch");
  const maxJobs = positiveInteger(o.maxJobs, "maxJobs");
  const timeoutMs = positiveNumber(o.timeoutMs, "timeoutMs");
  const concurrency = positiveInteger(o.concurrency, "concurrency");
  const runId = positiveInteger(o.runId, "runId");
  const store = await ctx.store();
  if (runId !== undefined && !(await store.getRun(runId))) throw new NotFoundError(`no run with id ${runId}`);
  const flowIds = o.flowIds?.map((id) => positiveInteger(id, "flowIds")!);
  if (flowIds) {
    const found = new Set((await store.flowSummaries({ ids: flowIds })).map((f) => f.id));
    const missing = flowIds.filter((id) => !found.has(id));
    if (missing.length > 0) throw new NotFoundError(`no flow with id ${missing.join(", ")}`);
  }
  const { launch } = await import("../launcher/launch.ts");
  return launch(store, {
    project: ctx.project,
    worker,
    events: ctx.events,
    ...(o.once ? { once: true } : {}),
    ...(maxJobs !== undefined ? { maxJobs } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(o.categories ? { categories: o.categories } : {}),
    ...(runId !== undefined ? { runId } : {}),
    ...(flowIds ? { flowIds } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
    ...(o.abort ? { abort: o.abort } : {}),
    ...(o.schedulerJobId !== undefined ? { schedulerJobId: o.schedulerJobId } : {}),
    ...(o.warnings ? { warnings: o.warnings } : {}),
    ...(o.supervise !== undefined ? { supervise: o.supervise } : {}),
    ...(o.spawner !== undefined ? { spawner: o.spawner } : {}),
  });
}

export interface QlaunchRequest {
  /** A pull worker with a `queue:` section (default: the first such worker). */
  worker?: string;
  /** Reservation mode: one pilot per job, with the job's own resources. */
  reserve?: boolean;
  /** Pilots run one job each instead of rapidfire inside. */
  once?: boolean;
  /** Reservation mode: only these jobs. */
  jobIds?: readonly number[];
  /** rapidfire: at most this many pilots queued or running. */
  maxQueued?: number;
  /** rapidfire: submit this many pilots, then stop (default: until no work is left). */
  nlaunches?: number;
  sleepMs?: number;
  timeoutMs?: number;
  stop?: AbortSignal;
  onPilot?: (p: { schedulerId: string; dir: string; runId: number | null }) => void;
}

export async function qlaunch(
  ctx: ApiContext,
  mode: "singleshot" | "rapidfire",
  o: QlaunchRequest = {},
): Promise<QlaunchSummary> {
  const worker = workerOfMode(
    ctx.project,
    o.worker,
    "pull",
    `ferry qlaunch ${mode}`,
    (w) => w.mode === "pull" && w.queue !== undefined,
  );
  if (!worker.queue)
    throw new UsageError(
      `worker "${worker.name}" has no queue: section — qlaunch submits pilot jobs for a pull worker with queue: {scheduler: …}`,
    );
  const maxQueued = positiveInteger(o.maxQueued, "maxQueued");
  const nlaunches =
    o.nlaunches === Number.POSITIVE_INFINITY ? undefined : positiveInteger(o.nlaunches, "nlaunches");
  const store = await ctx.store();
  if (o.jobIds) await checkExists(store, selectionFilter({ ids: o.jobIds }));
  const q = await import("../qlaunch/qlaunch.ts");
  const queued = worker as Parameters<typeof q.qlaunchSingleshot>[2];
  const common = {
    ...(o.reserve ? { reserve: true } : {}),
    ...(o.once ? { once: true } : {}),
    ...(o.jobIds ? { jobIds: o.jobIds } : {}),
    ...(o.onPilot ? { onPilot: o.onPilot } : {}),
  };
  if (mode === "singleshot") return q.qlaunchSingleshot(store, ctx.project, queued, common);
  return q.qlaunchRapidfire(store, ctx.project, queued, {
    ...common,
    ...(maxQueued !== undefined ? { maxQueued } : {}),
    ...(nlaunches !== undefined ? { nlaunches } : {}),
    ...(o.sleepMs !== undefined ? { sleepMs: o.sleepMs } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.stop ? { stop: o.stop } : {}),
  });
}

export interface LostReport {
  lost: {
    jobId: number;
    name: string;
    runId: number;
    mode: string;
    /** lost, finished (its result was collected), or alive (its wrapper still runs here). */
    verdict: "lost" | "finished" | "alive";
    why: string;
    checkpointTask: number | null;
  }[];
  handled: { collected: number[]; failed: number[]; rerun: { jobs: { id: number; name: string }[] } | null };
  /** Offline runs a dead `offline submit` left RESERVED or STAGED (settled with fail/rerun). */
  submissions: DeadSubmissions;
}

/** Find runs whose launcher or heartbeat went silent; collect finished ones; optionally fail or rerun the lost. */
export async function detectLost(
  ctx: ApiContext,
  o: { fail?: boolean; rerun?: boolean; taskLevel?: boolean } = {},
): Promise<LostReport> {
  if (o.fail && o.rerun) throw new UsageError("--fail and --rerun exclude each other");
  if (o.taskLevel && !o.rerun) throw new UsageError("--task-level needs --rerun");
  const project = ctx.project;
  const store = await ctx.store();
  const { detectLost: detect, handleLost } = await import("../engine/lost.ts");
  const transport = ctx.transport;
  const lost = await detect(store, {
    transport,
    abandonedHere: true,
    heartbeatLimitMs: (name) => {
      const w = name !== null && Object.hasOwn(project.workers, name) ? project.workers[name] : undefined;
      return (w && w.mode !== "pull" ? w.lostAfterSeconds : 600) * 1000;
    },
  });
  const handled = await handleLost(store, lost, o.fail ? "fail" : o.rerun ? "rerun" : "report", {
    transport,
    ...(o.taskLevel ? { taskLevel: true } : {}),
  });
  const { deadSubmissions } = await import("../offline/adopt.ts");
  const { asBatchWorker } = await import("../offline/worker-exec.ts");
  const { newLeaseOwner } = await import("../engine/lifecycle/index.ts");
  const submissions = await deadSubmissions(
    store,
    Object.values(project.workers)
      .filter((w) => w.mode === "offline")
      .map(asBatchWorker),
    { transport, owner: newLeaseOwner(transport.host), act: o.fail === true || o.rerun === true },
  );
  return {
    lost: lost.map((l) => ({
      jobId: l.job.id,
      name: l.job.name,
      runId: l.run.id,
      mode: l.run.mode,
      verdict: l.verdict,
      why: l.why,
      checkpointTask: l.checkpoint?.task ?? null,
    })),
    handled,
    submissions,
  };
}
