/**
 * `ferry launch`: the pull launcher (FireWorks' rlaunch). Claims READY jobs for a worker and runs
 * them on this machine, `concurrency` at a time (job packing inside one allocation), until
 * nothing is READY or running anywhere (rapidfire), or after one job (`once`), `maxJobs` jobs,
 * or `timeoutMs`.
 *
 * While a job runs, the launcher holds its run's lease in the database and renews all its
 * leases with one statement per beat; a launcher that dies stops renewing, and its runs are
 * found by `ferry detect-lost` within a lease period (seconds to minutes, not FireWorks' 4 h) —
 * or at once by the next launcher on the same host (its predecessor's pid is gone), which keeps
 * watching those whose wrapper survived and collects them when they finish (abandoned.ts).
 *
 * Stopping: `stop` (first Ctrl+C) stops claiming and lets running jobs finish; `abort` (second
 * Ctrl+C) sends SIGTERM to the running wrappers, which kill their tasks and record the signal —
 * those runs are kept as INTERRUPTED and their jobs go back to READY. No job is left claimed
 * but abandoned.
 */
import { join } from "node:path";
import type { ResolvedProject, ResolvedWorker } from "../config/load.ts";
import {
  type ClaimedRun,
  type ClaimRequest,
  type ClaimResult,
  claimReserved,
  claimRuns,
  claimRunsIn,
  pendingWork,
} from "../engine/claim.ts";
import { newLeaseOwner } from "../engine/lifecycle/index.ts";
import type { RunOutcome } from "../engine/outcome.ts";
import { coerceError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import type { Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import { type AbandonedRun, AbandonedRuns } from "./abandoned.ts";
import { type Committed, type Completion, commitCompletions, GroupCommit } from "./group-commit.ts";
import { type RunControl, runLocally } from "./local-run.ts";
import { Wakeup, withRetry } from "./loop-kit.ts";
import { TaskStarters } from "./starters.ts";
import { releaseUnstarted } from "./unstarted.ts";

export interface LaunchOptions {
  project: ResolvedProject;
  worker: ResolvedWorker;
  events: FerryEvents;
  concurrency?: number;
  once?: boolean;
  maxJobs?: number;
  timeoutMs?: number;
  categories?: readonly string[];
  /** Stop claiming new jobs (running ones finish). */
  stop?: AbortSignal;
  /** Interrupt running jobs (implies stop). */
  abort?: AbortSignal;
  /** Longest sleep between idle polls (default 1 s). */
  maxPollMs?: number;
  /** Reservation mode: run exactly this reserved run (a pilot submitted for it), then stop. */
  runId?: number;
  /** Only jobs of these flows (`ferry launch --flow`). */
  flowIds?: readonly number[];
  /**
   * Run tasks under this process (supervise.ts) rather than through one run.sh per job
   * (default true; jobs with a preRun always go through run.sh).
   */
  supervise?: boolean;
  /**
   * What starts supervised tasks: the Python task supervisor (supervisor.ts, the default, with
   * the task-shell spawner where no python3 runs), the task-shell spawner (spawner.ts), or this
   * process itself (false).
   */
  spawner?: boolean | "supervisor" | "shell";
  /** The batch system's job id this launcher runs in (started.json's schedulerJobId). */
  schedulerJobId?: string;
  /** A "warning" event relays the scheduler's walltime warning (USR1/USR2) to running jobs. */
  warnings?: EventTarget;
}

export interface LaunchSummary {
  claimed: number;
  completed: number;
  failed: number;
  interrupted: number;
  /** Runs cancelled or rerun from elsewhere while they ran here (stopped, result not applied). */
  stopped: number;
  /** Runs an earlier launcher abandoned, whose result this one collected: COMPLETED. */
  recovered: number;
  /** Runs an earlier launcher abandoned that ended FAILED (lost, or a failed result collected). */
  lost: number;
  /** What was found of runs an earlier launcher abandoned, and what became of each. */
  abandoned: AbandonedRun[];
}

/** How often abandoned runs are looked at again while a launcher waits for them. */
const ABANDONED_CHECK_MS = 1000;

interface Running {
  promise: Promise<void>;
  control?: RunControl;
}

/** run.sh's FERRY_KILL_GRACE: how long a stopped task has before SIGKILL. */
const KILL_GRACE_MS = 10_000;

export async function launch(store: Store, o: LaunchOptions): Promise<LaunchSummary> {
  if (o.worker.mode !== "pull") {
    throw new Error(`worker "${o.worker.name}" is a ${o.worker.mode} worker; ferry launch runs pull workers`);
  }
  const concurrency = Math.max(1, o.concurrency ?? o.worker.concurrency);
  const transport = new LocalTransport();
  const here = transport.host;
  const owner = newLeaseOwner(here);
  const leaseMs = o.worker.leaseSeconds * 1000;
  const worker = {
    name: o.worker.name,
    workDir: o.worker.workDir,
    categories: o.categories ?? o.worker.categories,
  };
  const cacheDir = join(o.project.dir, ".ferry", "cache", "bundles");
  const limit = o.once || o.runId !== undefined ? 1 : (o.maxJobs ?? Number.POSITIVE_INFINITY);
  const deadline = o.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.timeoutMs;
  const summary: LaunchSummary = {
    claimed: 0,
    completed: 0,
    failed: 0,
    interrupted: 0,
    stopped: 0,
    recovered: 0,
    lost: 0,
    abandoned: [],
  };
  const running = new Map<number, Running>();
  // started with the launcher, asked by the first task, closed when the launcher ends
  const starters = new TaskStarters(
    o.supervise === false || o.spawner === false ? "none" : o.spawner === "shell" ? "shell" : "supervisor",
    { leaseOwner: owner, killGraceMs: KILL_GRACE_MS },
  );
  let closing = false;
  const wake = new Wakeup();
  const notify = () => wake.notify();
  o.stop?.addEventListener("abort", notify, { once: true });

  o.events.emit("launcher:start", { owner, concurrency, worker: worker.name });
  const abandoned = new AbandonedRuns(store, transport, o.events);
  let lastCheck = 0;
  const checkAbandoned = async () => {
    lastCheck = Date.now();
    for (const a of await withRetry(o.events, () => abandoned.check(), o.stop)) {
      summary.abandoned.push(a);
      if (a.state === "COMPLETED") summary.recovered++;
      else if (a.state === "FAILED") summary.lost++;
    }
  };
  // runs left behind by an earlier launcher: collect finished ones, fail dead ones, watch live ones
  await checkAbandoned();
  // lanes being claimed for right now (by the loop or inside a group commit), and how many claims
  // are in flight: a claimed run not yet started is not "unstarted" while its claim is pending
  let reservedLanes = 0;
  let claimsInFlight = 0;
  // when a claim last found fewer READY jobs than it asked for: lanes left free then are polled
  // for new work with backoff, not at every wakeup (the jobs this launcher's own completions
  // release are claimed by the group commit that releases them)
  let drainedAt = Number.NEGATIVE_INFINITY;
  const noteClaim = (want: number, got: ClaimResult) => {
    if (got.claimed.length + got.failed.length < want) drainedAt = Date.now();
  };
  const onBeat = async () => {
    const now = Date.now();
    await store.renewLeases(owner, now + leaseMs, now);
    const mine = await store.findRuns({ leaseOwner: owner, includeArchived: true });
    // a run cancelled or rerun meanwhile (from another shell or host) is stopped here
    for (const r of mine.filter((x) => (x.state !== "RUNNING" || x.archived) && running.has(x.id)))
      running.get(r.id)?.control?.stop();
    // a claim whose answer was lost (the connection dropped during its COMMIT) and was claimed
    // again: the first claim's runs are ours but never started — give them back
    if (claimsInFlight === 0)
      await releaseUnstarted(store, transport, mine, (id) => running.has(id) || claimsInFlight > 0);
  };
  const beat = setInterval(
    () => {
      onBeat().catch((e) =>
        o.events.emit("launcher:error", { error: coerceError(e), retryInMs: leaseMs / 3 }),
      );
    },
    Math.max(1000, leaseMs / 3),
  );
  beat.unref();
  const onAbort = () => {
    for (const r of running.values()) r.control?.stop();
    wake.notify();
  };
  o.abort?.addEventListener("abort", onAbort, { once: true });
  const onWarning = () => {
    for (const r of running.values()) r.control?.warn();
  };
  o.warnings?.addEventListener("warning", onWarning);

  const isStopping = () =>
    closing ||
    o.stop?.aborted === true ||
    o.abort?.aborted === true ||
    Date.now() >= deadline ||
    summary.claimed >= limit;
  /** How many jobs to claim now, counting `finishing` runs (still in `running`) as free lanes. */
  const wanted = (finishing = 0) =>
    isStopping()
      ? 0
      : Math.max(
          0,
          Math.min(concurrency - (running.size - finishing) - reservedLanes, limit - summary.claimed),
        );
  const claimRequest = (want: number): ClaimRequest => ({
    worker,
    limit: want,
    to: "RUNNING",
    mode: "pull",
    leaseOwner: owner,
    leaseMs,
    host: here,
    ...(o.flowIds ? { flowIds: o.flowIds } : {}),
  });

  // Finished runs are written in group commits (group-commit.ts), each batch retried whole, and
  // the same transaction claims the jobs for the lanes they free: a chain's next link (released
  // by this very commit) starts without a transaction of its own.
  const commits = new GroupCommit<Completion, Committed>(async (items) => {
    const { committed, got } = await withRetry(
      o.events,
      async () => {
        const want = o.runId === undefined ? wanted(items.length) : 0;
        reservedLanes += want;
        claimsInFlight++;
        try {
          return await store.transaction(async (tx) => {
            const now = Date.now();
            const committed = await commitCompletions(tx, items, now);
            const got = want > 0 ? { want, result: await claimRunsIn(tx, claimRequest(want), now) } : null;
            return { committed, got };
          });
        } finally {
          reservedLanes -= want;
          claimsInFlight--;
        }
      },
      undefined,
    );
    if (got) {
      noteClaim(got.want, got.result);
      takeClaims(got.result);
    }
    return committed;
  });
  const finish = async (claim: ClaimedRun, outcome: RunOutcome, started: number) => {
    const interrupted =
      o.abort?.aborted === true && outcome.state === "FAILED" && outcome.error?.signal === "TERM";
    const done = await commits.add({ claim, outcome, interrupted });
    if (interrupted && done.applied) summary.interrupted++;
    else {
      if (!done.applied) summary.stopped++;
      else if (done.jobState === "COMPLETED") summary.completed++;
      else summary.failed++;
      o.events.emit("run:collected", {
        jobId: claim.job.id,
        runId: claim.runId,
        state: done.jobState ?? outcome.state,
        stale: !done.applied,
      });
    }
    o.events.emit("run:finished", {
      jobId: claim.job.id,
      runId: claim.runId,
      name: claim.job.name,
      state: interrupted && done.applied ? "INTERRUPTED" : outcome.state,
      seconds: (Date.now() - started) / 1000,
      ...(outcome.error ? { error: outcome.error.message } : {}),
    });
  };

  const start = (claim: ClaimedRun) => {
    const started = Date.now();
    const entry: Running = { promise: Promise.resolve() };
    o.events.emit("run:started", {
      jobId: claim.job.id,
      runId: claim.runId,
      name: claim.job.name,
      launchDir: claim.launchDir,
    });
    entry.promise = starters
      .get()
      .then(({ spawner, supervisor }) =>
        runLocally(transport, claim, {
          env: o.worker.env,
          ...(o.worker.preRun ? { preRun: o.worker.preRun } : {}),
          node: o.worker.node === "node" ? process.execPath : o.worker.node,
          python: o.worker.python,
          cacheDir,
          ...(o.supervise === false
            ? {}
            : {
                supervise: {
                  launcherPid: process.pid,
                  host: here,
                  schedulerJobId: o.schedulerJobId ?? "",
                  killGraceMs: KILL_GRACE_MS,
                  spawner,
                  supervisor,
                },
              }),
          onControl: (control) => {
            entry.control = control;
            if (o.abort?.aborted) control.stop();
          },
        }),
      )
      .then((outcome) => finish(claim, outcome, started))
      .catch((e) => o.events.emit("launcher:error", { error: coerceError(e), retryInMs: 0 }))
      .finally(() => {
        running.delete(claim.runId);
        wake.notify();
      });
    running.set(claim.runId, entry);
  };

  const takeClaims = (got: ClaimResult) => {
    for (const f of got.failed) {
      summary.failed++;
      o.events.emit("run:finished", {
        jobId: f.job.id,
        runId: f.runId,
        name: f.job.name,
        state: "FAILED",
        seconds: 0,
        error: f.message,
      });
    }
    summary.claimed += got.claimed.length + got.failed.length;
    for (const c of got.claimed) {
      o.events.emit("job:claimed", {
        jobId: c.job.id,
        runId: c.runId,
        name: c.job.name,
        worker: worker.name,
      });
      start(c);
    }
  };

  let idleMs = 50;
  try {
    for (;;) {
      const stopping = isStopping();
      const want = wanted();
      if (want > 0 && Date.now() - drainedAt >= idleMs) {
        reservedLanes += want;
        claimsInFlight++;
        const got = await withRetry(
          o.events,
          () =>
            o.runId !== undefined
              ? claimReserved(store, o.runId, { worker, leaseOwner: owner, leaseMs, host: here })
              : claimRuns(store, claimRequest(want)),
          o.stop,
        ).finally(() => {
          reservedLanes -= want;
          claimsInFlight--;
        });
        noteClaim(want, got);
        takeClaims(got);
        if (got.claimed.length > 0 || got.failed.length > 0) {
          idleMs = 50;
          continue;
        }
      }
      if (running.size === 0) {
        if (stopping || o.once || o.runId !== undefined) break;
        const pending = await withRetry(o.events, () => pendingWork(store, worker, o.flowIds), o.stop);
        if (pending.ready === 0 && pending.active === 0) break;
        o.events.emit("launcher:idle", { running: pending.active, waiting: pending.ready });
      }
      // what we may be waiting for: a run another launcher abandoned (alive here, or lease expired)
      if (!stopping && Date.now() - lastCheck >= ABANDONED_CHECK_MS) {
        const before = summary.abandoned.length;
        await checkAbandoned();
        if (summary.abandoned.length > before) {
          idleMs = 50;
          continue;
        }
      }
      const busy = running.size > 0 && (stopping || running.size >= concurrency);
      await wake.wait(busy && abandoned.watching.size === 0 ? 60_000 : Math.min(idleMs, ABANDONED_CHECK_MS));
      idleMs = Math.min(idleMs * 2, o.maxPollMs ?? 1000);
    }
  } finally {
    closing = true;
    clearInterval(beat);
    o.abort?.removeEventListener("abort", onAbort);
    o.warnings?.removeEventListener("warning", onWarning);
    o.stop?.removeEventListener("abort", notify);
    await Promise.allSettled([...running.values()].map((r) => r.promise));
    await starters.close();
    o.events.emit("launcher:stop", {
      completed: summary.completed,
      failed: summary.failed,
      interrupted: summary.interrupted,
    });
  }
  return summary;
}
