/**
 * The runner daemon through the facade (`project.runner`): run one in this process, ask every
 * runner of the project to stop (from any machine that reaches the database), read their state
 * and their logs. The dashboard uses the same calls.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedWorker } from "../config/load.ts";
import { UsageError } from "../model/errors.ts";
import type { LogEntry } from "../runner/log.ts";
import type { RunnerResult } from "../runner/runner.ts";
import type { WorkerRunState } from "../store/store.ts";
import type { ApiContext } from "./context.ts";

export type { LogEntry, RunnerResult, WorkerRunState };

export interface RunnerRunRequest {
  /** Only these managed workers (default: every one). */
  workers?: readonly string[];
  /** Ask the person at this terminal when ssh prompts (one-time codes); else a prompt is needs-login. */
  interactive?: boolean;
  /** Each log entry as a human line (a foreground runner prints them). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  onStarted?: (id: string) => void;
}

export interface RunnerInfo {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  /** Heartbeat within the lease period (and, on this machine, the process exists). */
  live: boolean;
  stopRequested: boolean;
}

export interface WorkerRunnerStatus {
  worker: string;
  host: string | null;
  /** "idle": no runner has driven it yet. */
  state: WorkerRunState | "idle";
  /** The runner holding its lease now (null: none, or the lease expired). */
  runner: string | null;
  /** Claimed, staged or in the scheduler's queue. */
  queued: number;
  running: number;
  lastError: string | null;
  lastCycleAt: number | null;
  nextCycleAt: number | null;
}

export interface RunnerStatus {
  runners: RunnerInfo[];
  workers: WorkerRunnerStatus[];
}

/** The project's state folder and the runner's files in it. */
export function runnerPaths(ctx: ApiContext): { stateDir: string; log: string; out: string } {
  const stateDir = join(ctx.project.dir, ".ferry");
  return {
    stateDir,
    log: join(stateDir, "runner", "runner.jsonl"),
    out: join(stateDir, "runner", "runner.out"),
  };
}

function managedWorkers(ctx: ApiContext, names?: readonly string[]): ResolvedWorker[] {
  const all = Object.values(ctx.project.workers).filter((w) => w.mode === "managed");
  for (const n of names ?? []) {
    const w = ctx.project.workers[n];
    if (!w)
      throw new UsageError(
        `unknown worker "${n}"; managed workers: ${all.map((x) => x.name).join(", ") || "none"}`,
      );
    if (w.mode !== "managed")
      throw new UsageError(`worker "${n}" is a ${w.mode} worker; the runner drives managed workers only`);
  }
  if (all.length === 0)
    throw new UsageError(
      `${ctx.project.file} has no managed worker (mode: managed): the runner would have nothing to do`,
    );
  return all;
}

export async function runRunner(ctx: ApiContext, o: RunnerRunRequest = {}): Promise<RunnerResult> {
  managedWorkers(ctx, o.workers);
  const store = await ctx.store();
  const paths = runnerPaths(ctx);
  const { runRunner: run } = await import("../runner/runner.ts");
  const { RunnerLog } = await import("../runner/log.ts");
  const prompt = o.interactive ? (await import("../transport/ssh/index.ts")).terminalPrompt() : undefined;
  return run({
    store,
    project: ctx.project,
    stateDir: paths.stateDir,
    log: (id) => new RunnerLog(paths.log, id, o.onLine),
    events: ctx.events,
    logPath: paths.log,
    ...(o.workers ? { workers: o.workers } : {}),
    ...(prompt ? { prompt } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onStarted ? { onStarted: o.onStarted } : {}),
  });
}

/**
 * Log in to every ssh host of the managed workers now, answering prompts at this terminal, and
 * leave the connections up: a runner started next (detached) reuses them and never has to ask.
 */
export async function loginWorkers(
  ctx: ApiContext,
  o: { workers?: readonly string[]; interactive: boolean },
): Promise<{ worker: string; message: string }[]> {
  const workers = managedWorkers(ctx, o.workers).filter(
    (w) =>
      w.mode === "managed" && w.host !== undefined && (o.workers === undefined || o.workers.includes(w.name)),
  );
  if (workers.length === 0) return [];
  const { TransportPool } = await import("../runner/transports.ts");
  const prompt = o.interactive ? (await import("../transport/ssh/index.ts")).terminalPrompt() : undefined;
  // not closed on purpose: the masters outlive this process (ControlPersist) for the runner to reuse
  const pool = new TransportPool({ stateDir: runnerPaths(ctx).stateDir, ...(prompt ? { prompt } : {}) });
  const failed = await pool.connectAll(workers as Parameters<typeof pool.connectAll>[0]);
  return failed.map((f) => ({
    worker: f.worker,
    message: f.error instanceof Error ? f.error.message : String(f.error),
  }));
}

export async function runnerStatus(ctx: ApiContext): Promise<RunnerStatus> {
  const store = await ctx.store();
  const { runnerLive } = await import("../runner/runner.ts");
  const { LocalTransport } = await import("../transport/local.ts");
  const local = new LocalTransport();
  const now = Date.now();
  const leaseMs = ctx.project.runner.leaseSeconds * 1000;
  const runners = (await store.listRunners()).map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    startedAt: r.startedAt,
    heartbeatAt: r.heartbeatAt,
    live: runnerLive(r, now, leaseMs, local),
    stopRequested: r.stopRequested,
  }));
  const rows = new Map((await store.listRunnerWorkers()).map((w) => [w.worker, w]));
  const workers: WorkerRunnerStatus[] = [];
  for (const w of Object.values(ctx.project.workers)) {
    if (w.mode !== "managed") continue;
    const runs = await store.findRuns({
      states: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      workers: [w.name],
      modes: ["managed"],
    });
    const row = rows.get(w.name);
    const held =
      row?.runnerId && row.leaseExpiresAt !== null && row.leaseExpiresAt >= now ? row.runnerId : null;
    workers.push({
      worker: w.name,
      host: w.host ?? null,
      state: row ? row.state : "idle",
      runner: held,
      queued: runs.filter((r) => r.state !== "RUNNING" && r.state !== "FINISHED").length,
      running: runs.filter((r) => r.state === "RUNNING" || r.state === "FINISHED").length,
      lastError: row?.lastError ?? null,
      lastCycleAt: row?.lastCycleAt ?? null,
      nextCycleAt: row?.nextCycleAt ?? null,
    });
  }
  return { runners, workers };
}

export interface RunnerStopReport {
  /** Runners asked to stop. */
  asked: number;
  /** With `wait`: runners that had not stopped when the wait ended. */
  stillRunning: number;
}

export async function stopRunners(
  ctx: ApiContext,
  o: { wait?: boolean; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RunnerStopReport> {
  const store = await ctx.store();
  const asked = await store.requestRunnerStop(null);
  if (!o.wait || asked === 0) return { asked, stillRunning: 0 };
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const s = await runnerStatus(ctx);
    const left = s.runners.filter((r) => r.live).length;
    if (left === 0 || Date.now() > deadline || o.signal?.aborted) return { asked, stillRunning: left };
    await new Promise((r) => setTimeout(r, 200));
  }
}

function parseEntries(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a line cut by a crash mid-write: skipped
    }
  }
  return out;
}

/**
 * The runner log's entries (the last `tail`, default all); with `follow`, then every new entry as
 * it is written, until `signal` aborts.
 */
export async function runnerLogs(
  ctx: ApiContext,
  o: { tail?: number; follow?: boolean; signal?: AbortSignal; onEntry: (e: LogEntry) => void },
): Promise<void> {
  const file = runnerPaths(ctx).log;
  let offset = 0;
  let pending = "";
  const readNew = () => {
    if (!existsSync(file)) return [];
    const size = statSync(file).size;
    if (size < offset) offset = 0; // the file was replaced
    if (size === offset) return [];
    const buf = readFileSync(file).subarray(offset, size);
    offset = size;
    const text = pending + buf.toString("utf8");
    const cut = text.lastIndexOf("\n");
    pending = text.slice(cut + 1);
    return parseEntries(text.slice(0, cut + 1));
  };
  const first = readNew();
  for (const e of o.tail !== undefined ? first.slice(-o.tail) : first) o.onEntry(e);
  if (!o.follow) return;
  while (!o.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 250);
      o.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
    for (const e of readNew()) o.onEntry(e);
  }
}
