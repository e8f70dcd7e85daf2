/**
 * Read a run's bundle files back: where it is (started, heartbeat, checkpoint) and, once
 * result.json exists, its outcome (outputs, actions, error). Reading never changes anything, so
 * collecting twice gives the same answer. A protocol file that cannot be read or parsed is a
 * *problem* to report and retry — never a verdict on the job.
 */
import type { JsonObject, JsonValue } from "../model/json.ts";
import { isPlainObject, parseJson } from "../model/json.ts";
import type { Checkpoint, Recovery, RunError, Task } from "../model/types.ts";
import type { Transport } from "../transport/types.ts";
import { bundlePaths } from "./layout.ts";

export interface WrapperResult {
  runId: number;
  state: "COMPLETED" | "FAILED";
  exitCode: number;
  signal: string | null;
  task: number | null;
  nextTask: number;
  stopped: boolean;
  warning: boolean;
  startedAt: number;
  finishedAt: number;
}

export interface RunFiles {
  started: { at: number; host: string; pid: number; schedulerJobId: string } | null;
  /** Epoch seconds of the last heartbeat. */
  heartbeat: number | null;
  checkpoint: Checkpoint | null;
  warning: number | null;
  result: WrapperResult | null;
  /** Files that exist but could not be read or belong to another run: report and retry. */
  problems: string[];
}

async function readJson<T>(t: Transport, file: string, problems: string[]): Promise<T | null> {
  let text: string | null;
  try {
    text = await t.read(file);
  } catch (e) {
    problems.push(`cannot read ${file}: ${(e as Error).message}`);
    return null;
  }
  if (text === null) return null;
  try {
    return parseJson(text) as T;
  } catch (e) {
    problems.push(`cannot parse ${file}: ${(e as Error).message}`);
    return null;
  }
}

async function readNumber(t: Transport, file: string, problems: string[]): Promise<number | null> {
  const v = await readJson<unknown>(t, file, problems);
  if (v === null) return null;
  if (typeof v !== "number") {
    problems.push(`${file} does not hold a time`);
    return null;
  }
  return v;
}

export async function readRunFiles(t: Transport, launchDir: string, runId: number): Promise<RunFiles> {
  const p = bundlePaths(launchDir);
  const problems: string[] = [];
  const owned = <T extends { runId?: unknown }>(v: T | null, file: string): T | null => {
    if (v === null) return null;
    if (v.runId !== runId) {
      problems.push(`${file} belongs to run ${String(v.runId)}, not run ${runId}`);
      return null;
    }
    return v;
  };
  const started = owned(
    await readJson<RunFiles["started"] & { runId: number }>(t, p.started, problems),
    p.started,
  );
  const checkpoint = owned(
    await readJson<Checkpoint & { runId: number }>(t, p.checkpoint, problems),
    p.checkpoint,
  );
  let result = owned(await readJson<WrapperResult>(t, p.result, problems), p.result);
  if (
    result &&
    (typeof result.exitCode !== "number" || (result.state !== "COMPLETED" && result.state !== "FAILED"))
  ) {
    problems.push(`${p.result} is not a ferry result`);
    result = null;
  }
  return {
    started: started
      ? { at: started.at, host: started.host, pid: started.pid, schedulerJobId: started.schedulerJobId }
      : null,
    heartbeat: await readNumber(t, p.heartbeat, problems),
    checkpoint: checkpoint ? { task: checkpoint.task, at: checkpoint.at } : null,
    warning: await readNumber(t, p.warning, problems),
    result,
    problems,
  };
}

export interface Outcome {
  state: "COMPLETED" | "FAILED";
  outputs: JsonValue | null;
  /** Per task: output and action (recovered tasks included), for checkpoints and task-level reruns. */
  taskOutputs: (JsonValue | null)[];
  actions: (JsonObject | null)[];
  error: RunError | null;
  exitCode: number;
  /** The task to resume at in a task-level rerun. */
  checkpoint: Checkpoint;
}

/** Merge rule for a job's output: later tasks win; plain objects merge key by key. */
export function mergeOutputs(outputs: readonly (JsonValue | null)[]): JsonValue | null {
  let acc: JsonValue | null = null;
  for (const o of outputs) {
    if (o === null) continue;
    acc =
      isPlainObject(acc) && isPlainObject(o)
        ? ({ ...(acc as JsonObject), ...(o as JsonObject) } as JsonObject)
        : o;
  }
  return acc;
}

function tail(text: string, lines = 40, bytes = 4096): string {
  const t = text.length > bytes ? text.slice(-bytes) : text;
  return t.split("\n").slice(-lines).join("\n").trimEnd();
}

const SIGNAL_REASON: Record<string, string> = {
  TERM: "stopped by SIGTERM (scancel, walltime or preemption)",
  INT: "interrupted (SIGINT)",
  HUP: "hung up (SIGHUP)",
  XCPU: "CPU time limit (SIGXCPU)",
};

/**
 * Outputs and actions of tasks [0, upTo) from a launch dir (for a task-level rerun of a run that
 * was lost before it wrote its result). Tasks before the old run's own start come from its recovery.
 */
export async function collectTaskFiles(
  t: Transport,
  launchDir: string,
  recovery: Recovery | null,
  upTo: number,
): Promise<{ outputs: (JsonValue | null)[]; actions: (JsonObject | null)[] }> {
  const p = bundlePaths(launchDir);
  const start = Math.min(recovery?.startTask ?? 0, upTo);
  const outputs: (JsonValue | null)[] = [];
  const actions: (JsonObject | null)[] = [];
  for (let i = 0; i < start; i++) {
    outputs.push(recovery?.outputs[i] ?? null);
    actions.push(recovery?.actions[i] ?? null);
  }
  for (let i = start; i < upTo; i++) {
    const problems: string[] = [];
    outputs.push(await readJson<JsonValue>(t, p.task(i).output, problems));
    const act = await readJson<unknown>(t, p.task(i).action, problems);
    actions.push(isPlainObject(act) ? (act as JsonObject) : null);
  }
  return { outputs, actions };
}

/** The outcome of a finished run, from result.json and the task files. */
export async function collectOutcome(
  t: Transport,
  launchDir: string,
  result: WrapperResult,
  tasks: readonly Task[],
  recovery: Recovery | null,
): Promise<Outcome> {
  const p = bundlePaths(launchDir);
  const start = recovery?.startTask ?? 0;
  const taskOutputs: (JsonValue | null)[] = [];
  const actions: (JsonObject | null)[] = [];
  for (let i = 0; i < start; i++) {
    taskOutputs.push(recovery?.outputs[i] ?? null);
    actions.push(recovery?.actions[i] ?? null);
  }
  const doneUntil = result.state === "COMPLETED" ? result.nextTask : (result.task ?? start);
  const problems: string[] = [];
  for (let i = start; i < doneUntil; i++) {
    const tp = p.task(i);
    const out = await readJson<JsonValue>(t, tp.output, problems);
    const act = await readJson<unknown>(t, tp.action, problems);
    if (act !== null && !isPlainObject(act))
      problems.push(`task ${i} wrote an action that is not a JSON object`);
    taskOutputs.push(out);
    actions.push(isPlainObject(act) ? (act as JsonObject) : null);
  }
  const checkpoint = {
    task: result.state === "COMPLETED" ? result.nextTask : (result.task ?? start),
    at: result.finishedAt,
  };
  if (problems.length > 0) {
    return {
      state: "FAILED",
      outputs: null,
      taskOutputs,
      actions,
      exitCode: result.exitCode,
      checkpoint,
      error: {
        message: `a task wrote an invalid file: ${problems.join("; ")}`,
        stack: null,
        exitCode: result.exitCode,
        signal: null,
        task: null,
        reason: "collect",
      },
    };
  }
  if (result.state === "COMPLETED") {
    return {
      state: "COMPLETED",
      outputs: mergeOutputs(taskOutputs),
      taskOutputs,
      actions,
      error: null,
      exitCode: 0,
      checkpoint,
    };
  }
  return {
    state: "FAILED",
    outputs: null,
    taskOutputs,
    actions,
    exitCode: result.exitCode,
    checkpoint,
    error: await describeFailure(t, p, result, tasks),
  };
}

async function describeFailure(
  t: Transport,
  p: ReturnType<typeof bundlePaths>,
  result: WrapperResult,
  tasks: readonly Task[],
): Promise<RunError> {
  const i = result.task;
  const task = i === null ? undefined : tasks[i];
  const label =
    i === null ? "the run" : `task ${i}${task?.name ? ` "${task.name}"` : ""} (${task?.kind ?? "?"})`;
  const stderr = i === null ? "" : ((await t.read(p.task(i).stderr).catch(() => null)) ?? "");
  if (result.signal) {
    const walltime = result.warning && result.signal === "TERM";
    return {
      message: `${label} ${walltime ? "hit the walltime (warned, then SIGTERM)" : (SIGNAL_REASON[result.signal] ?? `stopped by SIG${result.signal}`)}`,
      stack: tail(stderr) || null,
      exitCode: result.exitCode,
      signal: result.signal,
      task: i,
      reason: walltime ? "walltime" : "signal",
    };
  }
  if ((task?.kind === "js" || task?.kind === "py") && i !== null) {
    const err = await readJson<{ message?: string; stack?: string }>(t, p.task(i).error, []);
    if (err) {
      return {
        message: `${label} threw: ${err.message ?? "an error"}`,
        stack: err.stack ?? null,
        exitCode: result.exitCode,
        signal: null,
        task: i,
        reason: "task-failed",
      };
    }
  }
  const hint =
    result.exitCode === 127
      ? task?.kind === "js"
        ? ": node was not found on the compute node (set the worker's node: option)"
        : task?.kind === "py"
          ? ": python was not found on the compute node (set the worker's python: option)"
          : ": command not found"
      : result.exitCode === 137
        ? ": killed (SIGKILL; out of memory?)"
        : "";
  return {
    message: `${label} exited with code ${result.exitCode}${hint}`,
    stack: tail(stderr) || null,
    exitCode: result.exitCode,
    signal: null,
    task: i,
    reason: "task-failed",
  };
}
