/**
 * `ferry offline recover`: read the launch directories of active offline runs and bring the
 * database up to date — started.json → RUNNING, heartbeat → the run's last-seen time,
 * checkpoint → the run's checkpoint, result.json → COMPLETED or FAILED with outputs and
 * actions applied and children released.
 *
 * Safe to run at any time, from cron, from two shells at once, while jobs write their files:
 *  - every file is read whole (the wrapper renames files into place, never rewrites them);
 *  - an unreadable file is a *problem*: reported, counted on the run, retried next time —
 *    never a verdict (FireWorks fails a healthy run on a half-written FW_offline.json);
 *  - outcomes are applied exactly once (engine/outcome.ts), so a second recover, or a
 *    concurrent one, changes nothing;
 *  - forgotten, rerun (archived) and cancelled runs are not active, so recovering never undoes
 *    a user's decision (FireWorks #326).
 * The scheduler is asked only about jobs without a result, once per worker: a job that left
 * the queue without a result becomes FINISHED, and FAILED (with the scheduler's reason —
 * walltime, memory, cancelled) if no result appears within a grace period (slow NFS).
 */

import { withPilotIds } from "../batch/recover.ts";
import { BundleProblem, collectOutcome, type RunFiles, readRunFiles } from "../bundle/collect.ts";
import { readLogTail } from "../bundle/describe-failure.ts";
import { bundlePaths } from "../bundle/layout.ts";
import { runScope } from "../bundle/protocol-files.ts";
import type { ResolvedProject } from "../config/load.ts";
import { failVanished, recordStart, recordVanished } from "../engine/lifecycle/index.ts";
import { applyOutcome, applyOutcomes, outcomeFromBundle, type RunOutcome } from "../engine/outcome.ts";
import { errorMessage, FerryError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { Run, RunError, RunMode } from "../model/types.ts";
import type { SchedulerJobStatus } from "../schedulers/types.ts";
import type { Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import type { Transport } from "../transport/types.ts";
import { asBatchWorker, workerScheduler } from "./worker-exec.ts";

export interface RecoverOptions {
  worker?: string;
  events?: FerryEvents;
  /** Ask the schedulers about jobs without a result (default true). */
  poll?: boolean;
  batchSize?: number;
  now?: () => number;
  /** Where launch directories are read and scheduler commands run (default: this machine). */
  transport?: Transport;
  /** Runs of these modes (default offline; the runner passes managed). */
  modes?: readonly RunMode[];
}

export interface RecoverSummary {
  examined: number;
  started: number[];
  completed: number[];
  failed: number[];
  /** Results another recover (or launcher) had applied already. */
  alreadyApplied: number[];
  /** Jobs the scheduler no longer runs, waiting for their result file. */
  finished: number[];
  problems: { jobId: number; runId: number; problem: string }[];
  /** Running jobs whose heartbeat is older than the worker's lostAfterSeconds. */
  silent: { jobId: number; runId: number; seconds: number }[];
  schedulerCalls: number;
  /**
   * Workers whose scheduler was not asked this time: another recover (or an earlier one) asked
   * it less than statusIntervalSeconds ago. Results are still collected from the files.
   */
  deferred: { worker: string; seconds: number }[];
}

async function applyBatch(
  store: Store,
  items: { run: Run; outcome: RunOutcome }[],
  s: RecoverSummary,
  o: RecoverOptions,
): Promise<void> {
  const record = (run: Run, applied: Awaited<ReturnType<typeof applyOutcome>>, outcome: RunOutcome) => {
    if (!applied.applied) s.alreadyApplied.push(run.jobId);
    else if (applied.jobState === "COMPLETED") s.completed.push(run.jobId);
    else s.failed.push(run.jobId);
    o.events?.emit("offline:recovered", {
      jobId: run.jobId,
      runId: run.id,
      state: applied.jobState ?? outcome.state,
    });
  };
  try {
    const done = await store.transaction((tx) =>
      applyOutcomes(
        tx,
        items.map((it) => ({ runId: it.run.id, outcome: it.outcome })),
        o.now?.() ?? Date.now(),
      ),
    );
    for (const [i, a] of done.entries()) record(items[i]!.run, a, items[i]!.outcome);
  } catch {
    // one bad item must not hold back the others: apply them one by one
    for (const it of items) {
      try {
        record(
          it.run,
          await store.transaction((tx) => applyOutcome(tx, it.run.id, it.outcome, o.now?.() ?? Date.now())),
          it.outcome,
        );
      } catch (e) {
        s.problems.push({
          jobId: it.run.jobId,
          runId: it.run.id,
          problem: `cannot apply the result: ${errorMessage(e)}`,
        });
      }
    }
  }
}

async function noteProgress(
  store: Store,
  run: Run,
  files: RunFiles,
  s: RecoverSummary,
  now: number,
): Promise<void> {
  const patch: Parameters<Store["updateRuns"]>[1] = {};
  if (files.heartbeat !== null && files.heartbeat * 1000 !== run.heartbeatAt)
    patch.heartbeatAt = files.heartbeat * 1000;
  if (files.checkpoint && files.checkpoint.task !== run.checkpoint?.task)
    patch.checkpoint = { task: files.checkpoint.task, at: now };
  if (files.problems.length > 0) {
    patch.problem = files.problems.join("; ");
    patch.problemCount = run.problemCount + 1;
  } else if (run.problem !== null && run.schedulerId !== null) {
    patch.problem = null;
  }
  const started =
    files.started && (run.state === "RESERVED" || run.state === "STAGED" || run.state === "SUBMITTED")
      ? files.started
      : null;
  if (Object.keys(patch).length === 0 && !started) return;
  await store.transaction(async (tx) => {
    if (Object.keys(patch).length > 0) await tx.updateRuns([run.id], patch, now);
    if (
      started &&
      (await recordStart(tx, {
        runId: run.id,
        startedAt: started.at * 1000,
        host: started.host,
        heartbeatAt: (files.heartbeat ?? started.at) * 1000,
        now,
      }))
    )
      s.started.push(run.jobId);
  });
}

/** A job the scheduler no longer runs and that wrote no result. */
async function settleVanished(
  store: Store,
  local: Transport,
  run: Run,
  status: SchedulerJobStatus,
  graceMs: number,
  s: RecoverSummary,
  now: number,
): Promise<void> {
  if (run.state !== "FINISHED") {
    await store.transaction((tx) =>
      recordVanished(tx, {
        runId: run.id,
        schedulerState: status.state,
        reason: `left the ${status.native || "scheduler"} queue (${status.state})`,
        now,
      }),
    );
    s.finished.push(run.jobId);
    return;
  }
  if (now - (run.finishedAt ?? now) < graceMs) {
    s.finished.push(run.jobId);
    return;
  }
  const reason: RunError["reason"] =
    status.state === "timeout"
      ? "walltime"
      : status.state === "out-of-memory"
        ? "memory"
        : status.state === "cancelled"
          ? "cancelled"
          : "lost";
  const what =
    status.state === "timeout"
      ? "hit its walltime"
      : status.state === "out-of-memory"
        ? "ran out of memory"
        : status.state === "cancelled"
          ? "was cancelled outside ferry"
          : `ended (${status.state}${status.reason ? `: ${status.reason}` : ""})`;
  // scheduler.err is written on the compute node: read it as untrusted (bounded, inside the dir)
  const err = run.launchDir
    ? await readLogTail(local, run.launchDir, bundlePaths(run.launchDir).schedulerErr).catch(() => "")
    : "";
  const error: RunError = {
    message: `the batch job ${what} without writing a result${run.checkpoint ? ` (during task ${run.checkpoint.task})` : ""}`,
    stack: err || null,
    exitCode: status.exitCode,
    signal: null,
    task: run.checkpoint?.task ?? null,
    reason,
  };
  const applied = await store.transaction((tx) =>
    failVanished(tx, { runId: run.id, error, checkpoint: run.checkpoint, now }),
  );
  if (applied.applied) s.failed.push(run.jobId);
}

export async function offlineRecover(
  store: Store,
  project: ResolvedProject,
  o: RecoverOptions = {},
): Promise<RecoverSummary> {
  const now = () => o.now?.() ?? Date.now();
  const local = o.transport ?? new LocalTransport();
  const s: RecoverSummary = {
    examined: 0,
    started: [],
    completed: [],
    failed: [],
    alreadyApplied: [],
    finished: [],
    problems: [],
    silent: [],
    schedulerCalls: 0,
    deferred: [],
  };
  const runs = await store.findRuns({
    states: ACTIVE_RUN_STATES,
    modes: o.modes ?? ["offline"],
    ...(o.worker ? { workers: [o.worker] } : {}),
  });
  s.examined = runs.length;
  const waiting: Run[] = [];
  const size = o.batchSize ?? 200;
  for (let i = 0; i < runs.length; i += size) {
    const batch = runs.slice(i, i + size);
    const jobs = new Map((await store.getJobs(batch.map((r) => r.jobId))).map((j) => [j.id, j]));
    const done: { run: Run; outcome: RunOutcome }[] = [];
    for (const run of batch) {
      const job = jobs.get(run.jobId);
      // a job HELD in place (its worker was unreachable) waits for `ferry retry` to be advanced
      if (!job || !run.launchDir || job.state === "HELD") continue;
      // one run's files never stop the others: what goes wrong here is this run's problem
      try {
        const files = await readRunFiles(local, run.launchDir, run.id, runScope(job, job.recovery, now()));
        if (files.result) {
          try {
            done.push({
              run,
              outcome: outcomeFromBundle(
                files,
                await collectOutcome(local, run.launchDir, files.result, job.tasks, job.recovery),
              ),
            });
            continue;
          } catch (e) {
            if (!(e instanceof BundleProblem)) throw e;
            files.problems.push(...e.problems);
          }
        }
        await noteProgress(store, run, files, s, now());
        for (const p of files.problems) {
          s.problems.push({ jobId: run.jobId, runId: run.id, problem: p });
          o.events?.emit("offline:problem", { jobId: run.jobId, runId: run.id, problem: p });
        }
        const worker = run.worker ? project.workers[run.worker] : undefined;
        const last = files.heartbeat ?? files.started?.at;
        if (
          worker &&
          worker.mode !== "pull" &&
          files.started &&
          last !== undefined &&
          now() - last * 1000 > worker.lostAfterSeconds * 1000
        ) {
          s.silent.push({ jobId: run.jobId, runId: run.id, seconds: Math.round(now() / 1000 - last) });
        }
      } catch (e) {
        if (e instanceof FerryError && e.kind === "database") throw e;
        s.problems.push({ jobId: run.jobId, runId: run.id, problem: `cannot recover: ${errorMessage(e)}` });
        continue;
      }
      waiting.push(run);
      o.events?.emit("offline:recovered", { jobId: run.jobId, runId: run.id, state: job.state });
    }
    if (done.length > 0) await applyBatch(store, done, s, o);
  }
  if (o.poll === false || waiting.length === 0) return s;
  // batch runs a pilot took are followed through that pilot's scheduler id (batch/recover.ts)
  const batch = await withPilotIds(store, local, project.workers, waiting, now());
  s.problems.push(...batch.problems);
  const byWorker = new Map<string, Run[]>();
  for (const r of batch.runs)
    if (r.worker && r.schedulerId) byWorker.set(r.worker, [...(byWorker.get(r.worker) ?? []), r]);
  for (const [name, list] of byWorker) {
    const w = project.workers[name];
    if (!w || w.mode === "pull") continue;
    const worker = asBatchWorker(w);
    // The minimum interval holds across processes: `watch ferry offline recover` every 5 s
    // still asks squeue no more often than the site allows.
    const interval = worker.statusIntervalSeconds * 1000;
    const slot = await store.takePollSlot(name, now(), interval);
    if (!slot.taken) {
      s.deferred.push({
        worker: name,
        seconds: Math.max(1, Math.ceil((slot.lastAt + interval - now()) / 1000)),
      });
      continue;
    }
    const calls = { count: 0 };
    const ws = workerScheduler(worker, calls, local);
    const polled = await ws.poller.poll(list.map((r) => r.schedulerId!));
    s.schedulerCalls += calls.count;
    for (const p of polled.problems) s.problems.push({ jobId: -1, runId: -1, problem: `${name}: ${p}` });
    const latest = new Map((await store.getRuns(list.map((r) => r.id))).map((r) => [r.id, r]));
    for (const run of list) {
      const status = polled.jobs.get(run.schedulerId!);
      const fresh = latest.get(run.id);
      if (!status || !fresh || !(ACTIVE_RUN_STATES as readonly string[]).includes(fresh.state)) continue;
      if (status.state === "queued" || status.state === "running") {
        if (fresh.schedulerState !== status.state)
          await store.updateRuns([run.id], { schedulerState: status.state }, now());
        continue;
      }
      // gone from the queue: the result file may only be late (NFS); look once more before deciding
      const files = await readRunFiles(local, run.launchDir!, run.id);
      // the next recover collects it; an invalid one is a problem to retry, not a vanished run
      if (files.result || files.resultInvalid) continue;
      await settleVanished(store, local, fresh, status, worker.statusIntervalSeconds * 2000, s, now());
    }
  }
  return s;
}
