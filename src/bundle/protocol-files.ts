/**
 * One small schema per protocol file a compute node writes (layout.ts lists them). A launch
 * directory is untrusted input — a compute node, a user or a broken filesystem writes it — so a
 * value is used only after it passed here: a task number is an integer within the job's tasks,
 * a time is a whole number of epoch seconds between 0 and an hour past now, a state is one of the
 * two words, a signal is a known signal name. Anything else is a *problem* (reported on its run,
 * counted, retried): never a value to store or to put in a script, never a verdict.
 *
 * Why each bound, from the corrupt-file trials of issue #8: `"task": "1; touch x #"` reached
 * `FERRY_START_TASK=` in the next run.sh; `"nextTask": 1000000000` made collection read a billion
 * files; a heartbeat of 1e400, 1e30, -5 or `started.at: 1e300` aborted a whole recover on
 * PostgreSQL (bigint out of range), and once stored, an absurd heartbeat kept its run from ever
 * being found lost; `finishedAt: "yesterday"` completed a job; objects in `signal` failed one
 * with "SIG[object Object]".
 */
import { constants } from "node:os";
import { textProblem } from "../flow/json-check.ts";

/** Protocol files are a few hundred bytes; 64 KiB leaves room and bounds a hostile one. */
export const PROTOCOL_MAX_BYTES = 64 * 1024;

/** Clock skew tolerated between a compute node and this machine. */
export const MAX_FUTURE_SECONDS = 3600;

/** A job has at most this many tasks (flow/schema.ts refuses more). */
export const MAX_TASKS = 1000;

/** The range task numbers of one run must fall in. */
export interface RunScope {
  /** Number of tasks of the job; null when the job is not at hand (any count up to MAX_TASKS). */
  taskCount: number | null;
  /** First task this run runs (later for a task-level rerun). */
  startTask: number;
  /** Epoch milliseconds: times more than MAX_FUTURE_SECONDS past this are refused. */
  now: number;
}

export function runScope(
  job: { tasks: readonly unknown[] },
  recovery: { startTask: number } | null,
  now = Date.now(),
): RunScope {
  return { taskCount: job.tasks.length, startTask: recovery?.startTask ?? 0, now };
}

/** When the job is not at hand: any task number a job can have. */
export function looseScope(now = Date.now()): RunScope {
  return { taskCount: null, startTask: 0, now };
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const bad = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/** `text` with control characters escaped (a parse error quotes the file's bytes). */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A short, printable rendering of an untrusted value for a problem message. */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return printable(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkInteger(v: unknown, what: string, min: number, max: number): Checked<number> {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    return bad(`${what} is ${preview(v)}, not a whole number from ${min} to ${max}`);
  }
  return { ok: true, value: v };
}

/** Epoch seconds as `date +%s` writes them. */
export function checkTime(v: unknown, what: string, nowMs: number): Checked<number> {
  return checkInteger(v, `${what} (epoch seconds)`, 0, Math.floor(nowMs / 1000) + MAX_FUTURE_SECONDS);
}

function checkWord(v: unknown, what: string, pattern: RegExp, maxLength: number): Checked<string> {
  if (typeof v !== "string" || v.length > maxLength || !pattern.test(v) || textProblem(v) !== null) {
    return bad(
      `${what} is ${preview(v)}, not ${pattern.source.length < 30 ? `a word matching ${pattern.source}` : "a valid word"}`,
    );
  }
  return { ok: true, value: v };
}

function checkRunId(v: Record<string, unknown>, runId: number): Checked<true> {
  if (v.runId !== runId) return bad(`belongs to run ${preview(v.runId)}, not run ${runId}`);
  return { ok: true, value: true };
}

type Fields<T> = { [K in keyof T]: Checked<T[K]> };

/** All fields checked, or the first problem. */
function record<T>(fields: Fields<T>): Checked<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(fields) as (keyof T)[]) {
    const c = fields[key];
    if (!c.ok) return c;
    out[key] = c.value;
  }
  return { ok: true, value: out as T };
}

export interface Started {
  at: number;
  host: string;
  pid: number;
  schedulerJobId: string;
  /**
   * The task supervisor that started this pid (pull launcher, src/launcher/supervisor.py): while
   * it lives, the run has a live process even between a task's end and run.sh taking over.
   */
  supervisor?: number;
}

/** started.json: `{runId, at, host, pid, schedulerJobId}` (the wrapper cleans host and id). */
export function checkStarted(v: unknown, runId: number, scope: RunScope): Checked<Started> {
  if (!isRecord(v)) return bad(`is ${preview(v)}, not a JSON object`);
  const owner = checkRunId(v, runId);
  if (!owner.ok) return owner;
  return record<Started>({
    at: checkTime(v.at, "at", scope.now),
    host: checkWord(v.host, "host", /^[A-Za-z0-9._-]+$/, 255),
    pid: checkInteger(v.pid, "pid", 1, 2 ** 31 - 1),
    schedulerJobId: checkWord(v.schedulerJobId, "schedulerJobId", /^[A-Za-z0-9._:@-]*$/, 255),
    ...(v.supervisor === undefined
      ? {}
      : { supervisor: checkInteger(v.supervisor, "supervisor", 2, 2 ** 31 - 1) }),
  });
}

export interface CheckpointFile {
  task: number;
  at?: number;
}

/** checkpoint.json: `{runId, task}`, written before each task of this run. */
export function checkCheckpoint(v: unknown, runId: number, scope: RunScope): Checked<CheckpointFile> {
  if (!isRecord(v)) return bad(`is ${preview(v)}, not a JSON object`);
  const owner = checkRunId(v, runId);
  if (!owner.ok) return owner;
  const count = scope.taskCount ?? MAX_TASKS;
  const task = checkInteger(v.task, "task", scope.startTask, Math.max(scope.startTask, count - 1));
  if (!task.ok) return task;
  if (v.at === undefined) return { ok: true, value: { task: task.value } };
  const at = checkTime(v.at, "at", scope.now);
  return at.ok ? { ok: true, value: { task: task.value, at: at.value } } : at;
}

const SIGNALS = new Set(Object.keys(constants.signals).map((s) => s.replace(/^SIG/, "")));

export interface WrapperResult {
  runId: number;
  state: "COMPLETED" | "FAILED";
  exitCode: number;
  signal: string | null;
  /** The task that failed (FAILED), else null. */
  task: number | null;
  /** The first task not run to success. */
  nextTask: number;
  stopped: boolean;
  warning: boolean;
  startedAt: number;
  finishedAt: number;
}

function checkBoolean(v: unknown, what: string): Checked<boolean> {
  return typeof v === "boolean" ? { ok: true, value: v } : bad(`${what} is ${preview(v)}, not true or false`);
}

/**
 * result.json, as run.sh writes it, and consistent with itself: a COMPLETED run has exit code
 * 0, no failed task and ran every task unless a task asked to stop; a FAILED one names the task
 * it stopped at, and that is its next task.
 */
export function checkResult(v: unknown, runId: number, scope: RunScope): Checked<WrapperResult> {
  if (!isRecord(v)) return bad(`is ${preview(v)}, not a JSON object`);
  const owner = checkRunId(v, runId);
  if (!owner.ok) return owner;
  if (v.state !== "COMPLETED" && v.state !== "FAILED")
    return bad(`state is ${preview(v.state)}, not "COMPLETED" or "FAILED"`);
  const { startTask } = scope;
  const taskCount = scope.taskCount ?? MAX_TASKS;
  const lastTask = Math.max(startTask, taskCount - 1);
  const signal: Checked<string | null> =
    v.signal === null
      ? { ok: true, value: null }
      : typeof v.signal === "string" && SIGNALS.has(v.signal)
        ? { ok: true, value: v.signal }
        : bad(`signal is ${preview(v.signal)}, not null or a signal name such as "TERM"`);
  const task: Checked<number | null> =
    v.task === null ? { ok: true, value: null } : checkInteger(v.task, "task", startTask, lastTask);
  const checked = record<WrapperResult>({
    runId: { ok: true, value: runId },
    state: { ok: true, value: v.state },
    exitCode: checkInteger(v.exitCode, "exitCode", 0, 255),
    signal,
    task,
    nextTask: checkInteger(v.nextTask, "nextTask", startTask, Math.max(startTask, taskCount)),
    stopped: checkBoolean(v.stopped, "stopped"),
    warning: checkBoolean(v.warning, "warning"),
    startedAt: checkTime(v.startedAt, "startedAt", scope.now),
    finishedAt: checkTime(v.finishedAt, "finishedAt", scope.now),
  });
  if (!checked.ok) return checked;
  const r = checked.value;
  if (r.state === "COMPLETED") {
    if (r.exitCode !== 0 || r.task !== null || r.signal !== null)
      return bad("says COMPLETED but holds an exit code, a failed task or a signal");
    if (!r.stopped && scope.taskCount !== null && r.nextTask !== taskCount)
      return bad(`says COMPLETED after task ${r.nextTask} of ${taskCount} without a stop`);
  } else {
    if (r.task === null) return bad("says FAILED without naming the task");
    if (r.nextTask !== r.task) return bad(`says FAILED at task ${r.task} but its next task is ${r.nextTask}`);
    if (r.exitCode === 0 && r.signal === null) return bad("says FAILED with exit code 0 and no signal");
  }
  return checked;
}

export interface TaskError {
  message: string | null;
  stack: string | null;
}

const MAX_ERROR_TEXT = 16 * 1024;

/** tasks/<i>/error.json of a js task: `{message, stack}`; anything else tells nothing. */
export function checkTaskError(v: unknown): TaskError | null {
  if (!isRecord(v)) return null;
  const text = (x: unknown): string | null =>
    typeof x === "string" && textProblem(x) === null ? x.slice(0, MAX_ERROR_TEXT) : null;
  const message = text(v.message);
  const stack = text(v.stack);
  return message === null && stack === null ? null : { message, stack };
}
