/**
 * One managed worker as the runner drives it: a cycle, its log lines, and the circuit breaker —
 * after a failed cycle the worker backs off (exponentially); after maxFailures in a row it is
 * unreachable (or needs-login), and its claimed, staged and queued jobs are HELD with the
 * reason. What the breaker counts is in memory only (a restarted runner starts counting again);
 * what it decided is in the database (runner_workers, the HELD jobs).
 */
import type { ResolvedProject } from "../config/load.ts";
import { FerryError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import type { Store, WorkerRunState } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { type BackoffPolicy, backoffDelay, judgeFailure } from "./backoff.ts";
import { holdWorkerJobs } from "./hold.ts";
import type { RunnerLog } from "./log.ts";
import type { ManagedWorker } from "./transports.ts";
import { type CycleFigures, runWorkerCycle, WorkerStepError } from "./worker-cycle.ts";

export interface WorkerSlot {
  worker: ManagedWorker;
  failures: number;
  state: WorkerRunState;
  nextAt: number;
  lastError: string | null;
}

export interface DriveContext {
  store: Store;
  project: ResolvedProject;
  runnerId: string;
  leaseMs: number;
  policy: BackoffPolicy;
  log: RunnerLog;
  events?: FerryEvents;
}

const isDatabase = (e: unknown) => e instanceof FerryError && e.kind === "database";

function logFigures(log: RunnerLog, w: string, f: CycleFigures): void {
  const r = f.recover;
  const s = f.submit;
  if (
    r &&
    r.completed.length + r.failed.length + r.started.length + r.finished.length + r.problems.length > 0
  )
    log.info(
      "collect",
      `${r.completed.length} completed, ${r.failed.length} failed, ${r.started.length} started, ${r.finished.length} left the queue${r.problems.length ? `, ${r.problems.length} problem(s): ${r.problems[0]!.problem}` : ""}`,
      {
        worker: w,
        data: {
          examined: r.examined,
          completed: r.completed,
          failed: r.failed,
          started: r.started,
          schedulerCalls: r.schedulerCalls,
          problems: r.problems.length,
        },
      },
    );
  if (s && s.submitted.length + s.failed.length + s.held.length + s.unknown.length + s.adopted.examined > 0)
    log.info(
      "submit",
      `${s.submitted.length} submitted, ${s.held.length} held, ${s.failed.length} failed, ${s.unknown.length} of unknown outcome${s.adopted.examined ? `, ${s.adopted.examined} adopted from a runner that stopped` : ""}${s.limitedBy ? ` (${s.limitedBy})` : ""}`,
      {
        worker: w,
        data: {
          submitted: s.submitted.map((x) => ({ jobId: x.jobId, runId: x.runId, schedulerId: x.schedulerId })),
          held: s.held,
          failed: s.failed,
          unknown: s.unknown,
          adopted: s.adopted.examined,
        },
      },
    );
}

/** One cycle of `slot`'s worker over `transport`; updates the slot and the worker's row. */
export async function driveWorker(c: DriveContext, slot: WorkerSlot, transport: Transport): Promise<void> {
  const w = slot.worker;
  const t0 = Date.now();
  try {
    const f = await runWorkerCycle(
      {
        store: c.store,
        project: c.project,
        transport,
        owner: c.runnerId,
        leaseMs: c.leaseMs,
        ...(c.events ? { events: c.events } : {}),
        stillOurs: () => c.store.takeWorkerLease(w.name, c.runnerId, Date.now(), Date.now() + c.leaseMs),
      },
      w,
    );
    logFigures(c.log, w.name, f);
    if (slot.failures > 0)
      c.log.info("backoff", `worker is reachable again after ${slot.failures} failed cycle(s)`, {
        worker: w.name,
      });
    slot.failures = 0;
    slot.state = "ok";
    slot.lastError = null;
    // something moved: children may be READY now, or results due: come back soon
    slot.nextAt = Date.now() + (f.progressed ? Math.min(1000, w.cycleSeconds * 1000) : w.cycleSeconds * 1000);
  } catch (e) {
    if (isDatabase(e) || !(e instanceof WorkerStepError)) throw e;
    slot.failures++;
    const verdict = judgeFailure(e.cause ?? e, slot.failures, c.policy);
    const wait = backoffDelay(slot.failures, c.policy);
    const wasDown = slot.state === "unreachable" || slot.state === "needs-login";
    slot.state = verdict.state;
    slot.lastError = `${e.step}: ${verdict.message}`;
    slot.nextAt = Date.now() + wait;
    c.log.warn(
      "backoff",
      `${e.step} failed (${slot.failures} in a row): ${verdict.message}; next cycle in ${wait < 10_000 ? (wait / 1000).toFixed(1) : Math.round(wait / 1000)} s`,
      { worker: w.name, data: { failures: slot.failures, state: verdict.state, step: e.step } },
    );
    if (!wasDown && (verdict.state === "unreachable" || verdict.state === "needs-login")) {
      const held = await holdWorkerJobs(
        c.store,
        w.name,
        `worker ${w.name} is ${verdict.state}: ${verdict.message}`,
      );
      c.log.error(
        "hold",
        `worker is ${verdict.state}; ${held.length} of its job(s) HELD with the reason (ferry retry resumes them; batch jobs run on)`,
        { worker: w.name, data: { held } },
      );
    }
  }
  await c.store.recordWorkerState(
    w.name,
    c.runnerId,
    {
      state: slot.state,
      failures: slot.failures,
      lastError: slot.lastError,
      lastCycleAt: t0,
      nextCycleAt: slot.nextAt,
    },
    Date.now(),
  );
}
