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
import type { DbRunner, Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import type { SshPrompt } from "../transport/ssh/index.ts";
import { type BackoffPolicy, backoffDelay } from "./backoff.ts";
import { startBeat } from "./beat.ts";
import { type DriveContext, driveWorker, type WorkerSlot } from "./drive.ts";
import type { RunnerLog } from "./log.ts";
import { type ManagedWorker, TransportPool } from "./transports.ts";

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
    { data: { workers: managed.map((w) => w.name), database: o.store.description } },
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
  // workers whose lease this runner holds; with several runners each takes its share
  const held = new Set<string>();
  let liveRunners = 1;
  const stop = new AbortController();
  let stoppedBy: RunnerResult["stoppedBy"] = "signal";
  const onOuter = () => stop.abort();
  o.signal?.addEventListener("abort", onOuter, { once: true });
  if (o.signal?.aborted) stop.abort();
  const beat = startBeat({
    store: o.store,
    id,
    leaseMs,
    held: () => [...held],
    log,
    onStop: (why) => {
      if (stop.signal.aborted) return;
      stoppedBy = why;
      log.info(
        "stop",
        why === "flag"
          ? "the stop flag is set (ferry runner stop): stopping after the step in progress"
          : "this runner's row was closed by another runner: stopping",
      );
      stop.abort();
    },
    onRunners: (n) => {
      liveRunners = n;
    },
  });
  const drive: DriveContext = {
    store: o.store,
    project: o.project,
    runnerId: id,
    leaseMs,
    policy,
    log,
    ...(o.events ? { events: o.events } : {}),
  };
  let cycles = 0;
  let dbFailures = 0;
  let dbRetryAt = 0;
  try {
    while (!stop.signal.aborted) {
      if (Date.now() >= dbRetryAt) {
        try {
          for (const slot of slots) {
            if (stop.signal.aborted || Date.now() < slot.nextAt) continue;
            if (!(await lease(slot))) continue;
            await driveWorker(drive, slot, pool.get(slot.worker));
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
      const next = Math.min(
        dbRetryAt > Date.now() ? dbRetryAt : Number.POSITIVE_INFINITY,
        ...slots.map((s) => s.nextAt),
      );
      await sleep(Math.min(Math.max(next - Date.now(), 50), 1000), stop.signal);
    }
  } finally {
    o.signal?.removeEventListener("abort", onOuter);
    await beat.stop();
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

  /** Take or renew the slot's worker lease, within this runner's share of the workers. */
  async function lease(slot: WorkerSlot): Promise<boolean> {
    const name = slot.worker.name;
    const share = Math.ceil(slots.length / liveRunners);
    if (held.has(name) && held.size > share) {
      // another runner joined: give up a worker for it to take
      await o.store.releaseWorkerLease(name, id, Date.now());
      held.delete(name);
      log.info("lease", `released to another runner (${liveRunners} share ${slots.length} worker(s))`, {
        worker: name,
      });
      slot.nextAt = Date.now() + leaseMs;
      return false;
    }
    if (!held.has(name) && held.size >= share) {
      slot.nextAt = Date.now() + Math.min(leaseMs / 3, slot.worker.cycleSeconds * 1000);
      return false;
    }
    const now = Date.now();
    if (!(await o.store.takeWorkerLease(name, id, now, now + leaseMs))) {
      if (held.delete(name)) log.warn("lease", "another runner drives this worker now", { worker: name });
      slot.nextAt = Date.now() + Math.min(leaseMs / 3, slot.worker.cycleSeconds * 1000);
      return false;
    }
    if (!held.has(name)) log.info("lease", "this runner drives the worker", { worker: name });
    held.add(name);
    return true;
  }
}
