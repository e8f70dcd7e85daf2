/**
 * The runner daemon: advances the jobs of managed workers until it is asked to stop — by a
 * signal, by its AbortSignal, or by the stop flag on its row that `ferry runner stop` sets from
 * any machine (jobflow-remote #375).
 *
 * Everything it knows is in the database: its row (heartbeat, stop flag), a lease per worker
 * (several runners on PostgreSQL share the workers; one killed with SIGKILL is replaced once its
 * leases expire), and the jobs' runs. It keeps nothing in memory that a restart would miss:
 * when the database is away a cycle fails, nothing advances, and the next one (after a backoff)
 * starts again from what the database says — jobs on the cluster run on meanwhile.
 */
import type { ResolvedProject } from "../config/load.ts";
import { newLeaseOwner } from "../engine/lifecycle/index.ts";
import { ConflictError, errorMessage, FerryError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import type { DbRunner, Store, WorkerRunState } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import type { SshPrompt } from "../transport/ssh/index.ts";
import { type BackoffPolicy, backoffDelay, judgeFailure } from "./backoff.ts";
import { holdClaimed } from "./hold.ts";
import type { RunnerLog } from "./log.ts";
import { type ManagedWorker, TransportPool } from "./transports.ts";
import { runWorkerCycle, WorkerStepError } from "./worker-cycle.ts";

export interface RunnerOptions {
  store: Store;
  project: ResolvedProject;
  /** The project's state folder (.ferry): ssh control sockets. */
  stateDir: string;
  log: (id: string) => RunnerLog;
  events?: FerryEvents;
  /** Only these managed workers (default: every one). */
  workers?: readonly string[];
  /** Answers ssh login prompts (a foreground runner's terminal); without it a prompt is needs-login. */
  prompt?: SshPrompt;
  /** Stops the runner after the step in progress. */
  signal?: AbortSignal;
  logPath?: string;
  /** Called once the runner is registered (its id) — before the first cycle. */
  onStarted?: (id: string) => void;
}

export interface RunnerResult {
  id: string;
  cycles: number;
  stoppedBy: "flag" | "signal" | "lease";
  /** Login prompts answered over ssh. */
  prompts: number;
}

interface WorkerSlot {
  worker: ManagedWorker;
  failures: number;
  state: WorkerRunState;
  nextAt: number;
  lastError: string | null;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

const isDatabase = (e: unknown) => e instanceof FerryError && e.kind === "database";

/** Is this runner row alive: a fresh heartbeat, and (on this machine) a process with its pid. */
export function runnerLive(r: DbRunner, now: number, leaseMs: number, local: LocalTransport): boolean {
  if (r.stoppedAt !== null || now - r.heartbeatAt > leaseMs) return false;
  if (r.host !== local.host) return true;
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Register this runner. On SQLite a project has one runner: a second one is refused while the
 * first is alive (ConflictError, exit 7) — SQLite lives on one machine's local disk, so two
 * runners would only fight over its write lock. Rows of runners that died are closed here.
 */
async function register(o: RunnerOptions, id: string, local: LocalTransport, leaseMs: number): Promise<void> {
  await o.store.transaction(async (tx) => {
    const now = Date.now();
    const others = await tx.listRunners();
    const live = others.filter((r) => runnerLive(r, now, leaseMs, local));
    for (const dead of others.filter((r) => !live.includes(r))) await tx.markRunnerStopped(dead.id, now);
    if (tx.dialect === "sqlite" && live.length > 0) {
      const r = live[0]!;
      throw new ConflictError(
        `a runner is already running for this project (pid ${r.pid} on ${r.host}, heartbeat ${Math.round((now - r.heartbeatAt) / 1000)} s ago); with SQLite a project has one runner — stop it first (ferry runner stop), or use PostgreSQL to run several`,
      );
    }
    await tx.insertRunner({ id, host: local.host, pid: process.pid, now, logPath: o.logPath ?? null });
  });
}

export async function runRunner(o: RunnerOptions): Promise<RunnerResult> {
  const local = new LocalTransport();
  const id = newLeaseOwner(local.host);
  const log = o.log(id);
  const cfg = o.project.runner;
  const leaseMs = cfg.leaseSeconds * 1000;
  const policy: BackoffPolicy = {
    baseMs: cfg.backoffSeconds * 1000,
    maxMs: cfg.backoffMaxSeconds * 1000,
    maxFailures: cfg.maxFailures,
  };
  const managed = Object.values(o.project.workers).filter(
    (w): w is ManagedWorker =>
      w.mode === "managed" && (o.workers === undefined || o.workers.includes(w.name)),
  );
  await register(o, id, local, leaseMs);
  log.info(
    "start",
    `runner ${id} (pid ${process.pid}) drives ${managed.map((w) => w.name).join(", ") || "no worker"}`,
    {
      data: { workers: managed.map((w) => w.name), database: o.store.description },
    },
  );
  o.onStarted?.(id);
  const pool = new TransportPool({
    stateDir: o.stateDir,
    ...(o.prompt ? { prompt: o.prompt } : {}),
    onEvent: (e) => {
      if (e.type === "prompt")
        log.info("ssh", `login prompt from ${e.host}: ${e.text.trim()}`, { data: { host: e.host } });
      else if (e.type === "master:up")
        log.info("ssh", `connected to ${e.host}${e.reused ? " (existing connection)" : ` in ${e.ms} ms`}`);
      else if (e.type === "master:lost") log.warn("ssh", `connection to ${e.host} lost`);
      else if (e.type === "master:failed") log.warn("ssh", `cannot connect to ${e.host}: ${e.error.message}`);
    },
  });
  const slots: WorkerSlot[] = managed.map((worker) => ({
    worker,
    failures: 0,
    state: "ok",
    nextAt: 0,
    lastError: null,
  }));
  let cycles = 0;
  let stoppedBy: RunnerResult["stoppedBy"] = "signal";
  let dbFailures = 0;
  let dbRetryAt = 0;
  try {
    while (!o.signal?.aborted) {
      const now = Date.now();
      if (now >= dbRetryAt) {
        try {
          const row = await o.store.heartbeatRunner(id, now);
          if (!row) {
            log.error(
              "lease",
              "this runner's row is gone from the database (closed by another runner after a long silence): stopping",
            );
            stoppedBy = "lease";
            break;
          }
          if (row.stopRequested) {
            log.info("stop", "the stop flag is set (ferry runner stop): stopping");
            stoppedBy = "flag";
            break;
          }
          for (const slot of slots) {
            if (o.signal?.aborted || Date.now() < slot.nextAt) continue;
            await cycleOne(slot);
            cycles++;
          }
          if (dbFailures > 0)
            log.info("database", `the database answers again after ${dbFailures} failed attempt(s)`);
          dbFailures = 0;
        } catch (e) {
          if (!isDatabase(e)) throw e;
          dbFailures++;
          const wait = backoffDelay(dbFailures, { ...policy, maxMs: Math.min(policy.maxMs, 30_000) });
          dbRetryAt = Date.now() + wait;
          log.warn(
            "database",
            `${errorMessage(e)} — nothing advances; retrying in ${Math.round(wait / 1000)} s (jobs on the clusters run on)`,
          );
        }
      }
      const due = Math.min(
        dbRetryAt > Date.now() ? dbRetryAt : Number.POSITIVE_INFINITY,
        ...slots.map((s) => s.nextAt),
      );
      // the heartbeat (and a stop flag set elsewhere) is looked at at least every second
      await sleep(Math.min(Math.max(due - Date.now(), 50), 1000, leaseMs / 3), o.signal);
    }
  } finally {
    await pool.close();
    try {
      await o.store.markRunnerStopped(id, Date.now());
    } catch (e) {
      log.warn(
        "stop",
        `cannot record the stop (${errorMessage(e)}): the row expires after ${cfg.leaseSeconds} s`,
      );
    }
    log.info("stop", `runner stopped after ${cycles} worker cycle(s)`);
  }
  return { id, cycles, stoppedBy, prompts: pool.prompts };

  async function cycleOne(slot: WorkerSlot): Promise<void> {
    const w = slot.worker;
    const take = () => o.store.takeWorkerLease(w.name, id, Date.now(), Date.now() + leaseMs);
    if (!(await take())) {
      slot.nextAt = Date.now() + Math.min(leaseMs / 3, w.cycleSeconds * 1000);
      return;
    }
    const transport = pool.get(w);
    const t0 = Date.now();
    try {
      const f = await runWorkerCycle(
        {
          store: o.store,
          project: o.project,
          transport,
          owner: id,
          ...(o.events ? { events: o.events } : {}),
          stillOurs: take,
        },
        w,
      );
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
            worker: w.name,
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
      if (
        s &&
        s.submitted.length + s.failed.length + s.held.length + s.unknown.length + s.adopted.examined > 0
      )
        log.info(
          "submit",
          `${s.submitted.length} submitted, ${s.held.length} held, ${s.failed.length} failed, ${s.unknown.length} of unknown outcome${s.limitedBy ? ` (${s.limitedBy})` : ""}`,
          {
            worker: w.name,
            data: {
              submitted: s.submitted.map((x) => ({ jobId: x.jobId, schedulerId: x.schedulerId })),
              held: s.held,
              failed: s.failed,
              unknown: s.unknown,
              adopted: s.adopted.examined,
            },
          },
        );
      if (slot.failures > 0)
        log.info("backoff", `worker is reachable again after ${slot.failures} failed cycle(s)`, {
          worker: w.name,
        });
      slot.failures = 0;
      slot.state = "ok";
      slot.lastError = null;
      // something moved: children may be READY now, or results due: come back soon
      slot.nextAt =
        Date.now() + (f.progressed ? Math.min(1000, w.cycleSeconds * 1000) : w.cycleSeconds * 1000);
    } catch (e) {
      if (isDatabase(e) || !(e instanceof WorkerStepError)) throw e;
      slot.failures++;
      const verdict = judgeFailure(e.cause ?? e, slot.failures, policy);
      const wait = backoffDelay(slot.failures, policy);
      const wasDown = slot.state === "unreachable" || slot.state === "needs-login";
      slot.state = verdict.state;
      slot.lastError = `${e.step}: ${verdict.message}`;
      slot.nextAt = Date.now() + wait;
      log.warn(
        "backoff",
        `${e.step} failed (${slot.failures} in a row): ${verdict.message}; next cycle in ${Math.round(wait / 1000)} s`,
        {
          worker: w.name,
          data: { failures: slot.failures, state: verdict.state, step: e.step },
        },
      );
      if (!wasDown && (verdict.state === "unreachable" || verdict.state === "needs-login")) {
        const held = await holdClaimed(
          o.store,
          w.name,
          `worker ${w.name} is ${verdict.state}: ${verdict.message}`,
        );
        log.error(
          "hold",
          `worker is ${verdict.state}; ${held.length} claimed job(s) HELD with the reason (ferry retry resumes them)`,
          {
            worker: w.name,
            data: { held },
          },
        );
      }
    }
    await o.store.recordWorkerState(
      w.name,
      id,
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
}
