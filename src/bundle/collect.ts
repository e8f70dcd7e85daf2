/**
 * Read a run's bundle files back: where it is (started, heartbeat, checkpoint) and, once
 * result.json exists, its outcome (outputs, actions, error). Reading never changes anything, so
 * collecting twice gives the same answer.
 *
 * Everything here is untrusted (protocol-files.ts): every read is bounded and stays inside the
 * launch directory (read-files.ts), every value is checked before it is returned. A file that
 * cannot be read, parsed or validated is a *problem* to report and retry — never a verdict on
 * the job. The one exception is a task's own output or action that is readable but not valid
 * JSON for a job (unparsable, nested too deep, holding NUL): the task wrote it, so its job FAILS
 * with reason "collect", as a crash of that task would.
 */
import { checkJson } from "../flow/json-check.ts";
import { formatPath } from "../flow/references.ts";
import type { JsonObject, JsonValue } from "../model/json.ts";
import { isPlainObject, parseJson } from "../model/json.ts";
import { type Checkpoint, type Recovery, type RunError, runError, type Task } from "../model/types.ts";
import type { Transport } from "../transport/types.ts";
import { describeFailure } from "./describe-failure.ts";
import { bundlePaths } from "./layout.ts";
import {
  type Checked,
  type CheckpointFile,
  checkCheckpoint,
  checkResult,
  checkStarted,
  checkTime,
  looseScope,
  MAX_TASKS,
  PROTOCOL_MAX_BYTES,
  type RunScope,
  runScope,
  type Started,
  type WrapperResult,
} from "./protocol-files.ts";
import { BundleProblem, parseRead, readFiles } from "./read-files.ts";

export type { WrapperResult } from "./protocol-files.ts";
export { BundleProblem } from "./read-files.ts";

/** Read bounds: protocol files are small; task outputs may be large, but not unbounded. */
export interface CollectLimits {
  protocolBytes?: number;
  /** Default 64 MiB per output.json / action.json. */
  outputBytes?: number;
}

export const DEFAULT_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface RunFiles {
  started: Started | null;
  /** Epoch seconds of the last heartbeat. */
  heartbeat: number | null;
  /** The task about to run, and when (the wrapper writes no time: the reader's clock decides). */
  checkpoint: CheckpointFile | null;
  warning: number | null;
  /** A valid result of this run, or null. */
  result: WrapperResult | null;
  /** result.json exists but could not be read or validated: not done, not vanished either. */
  resultInvalid: boolean;
  /** Files that exist but could not be read, are not valid or belong to another run: report and retry. */
  problems: string[];
}

/**
 * The protocol files of run `runId`. `scope` bounds task numbers by the job's tasks; without it
 * (when the job is not at hand) any task number a job can have is accepted, and collectOutcome
 * checks the result again against the job.
 */
export async function readRunFiles(
  t: Transport,
  launchDir: string,
  runId: number,
  scope: RunScope = looseScope(),
  limits: CollectLimits = {},
): Promise<RunFiles> {
  const p = bundlePaths(launchDir);
  const names = [p.started, p.heartbeat, p.checkpoint, p.warning, p.result];
  const reads = await readFiles(t, launchDir, names, limits.protocolBytes ?? PROTOCOL_MAX_BYTES);
  const problems: string[] = [];
  const value = <T>(file: string, check: (v: unknown) => Checked<T>): T | null => {
    const parsed = parseRead(file, reads.get(file));
    if (parsed.kind === "missing") return null;
    if (parsed.kind === "problem") {
      problems.push(parsed.problem);
      return null;
    }
    const c = check(parsed.value);
    if (c.ok) return c.value;
    problems.push(`${file} ${c.problem}`);
    return null;
  };
  const started = value(p.started, (v) => checkStarted(v, runId, scope));
  const heartbeat = value(p.heartbeat, (v) => checkTime(v, "the heartbeat", scope.now));
  const checkpoint = value(p.checkpoint, (v) => checkCheckpoint(v, runId, scope));
  const warning = value(p.warning, (v) => checkTime(v, "the warning", scope.now));
  const before = problems.length;
  const result = value(p.result, (v) => checkResult(v, runId, scope));
  return {
    started,
    heartbeat,
    checkpoint,
    warning,
    result,
    resultInvalid: problems.length > before,
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

interface TaskFiles {
  outputs: (JsonValue | null)[];
  actions: (JsonObject | null)[];
  /** Readable files whose content is not valid: the task's fault. */
  invalid: string[];
}

/**
 * Output and action of tasks [from, upTo). Unreadable files throw BundleProblem (retry later);
 * readable but invalid ones are listed in `invalid`.
 */
async function readTaskFiles(
  t: Transport,
  launchDir: string,
  from: number,
  upTo: number,
  limits: CollectLimits,
): Promise<TaskFiles> {
  const p = bundlePaths(launchDir);
  const files: string[] = [];
  for (let i = from; i < upTo; i++) files.push(p.task(i).output, p.task(i).action);
  const reads = await readFiles(t, launchDir, files, limits.outputBytes ?? DEFAULT_OUTPUT_BYTES);
  const unreadable = [...reads.values()].flatMap((r) => (r.kind === "unreadable" ? [r.problem] : []));
  if (unreadable.length > 0) throw new BundleProblem(unreadable);
  const out: TaskFiles = { outputs: [], actions: [], invalid: [] };
  const json = (file: string, what: string): JsonValue | null => {
    // parseJson keeps number spellings such as 1.0 (model/json.ts): outputs go on to Python tasks
    const parsed = parseRead(file, reads.get(file), parseJson);
    if (parsed.kind === "missing") return null;
    if (parsed.kind === "problem") {
      out.invalid.push(parsed.problem);
      return null;
    }
    const bad = checkJson(parsed.value);
    if (bad.length > 0) {
      const b = bad[0]!;
      out.invalid.push(`${what}${b.path.length ? ` at ${formatPath(b.path)}` : ""}: ${b.message}`);
      return null;
    }
    return parsed.value as JsonValue;
  };
  for (let i = from; i < upTo; i++) {
    out.outputs.push(json(p.task(i).output, `task ${i}'s output`));
    const act = json(p.task(i).action, `task ${i}'s action`);
    if (act !== null && !isPlainObject(act))
      out.invalid.push(`task ${i} wrote an action that is not a JSON object`);
    out.actions.push(isPlainObject(act) ? (act as JsonObject) : null);
  }
  return out;
}

function checkStart(recovery: Recovery | null, taskCount: number): number {
  const start = recovery?.startTask ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || start > taskCount)
    throw new BundleProblem([
      `the job's recovery starts at task ${String(start)}, outside its ${taskCount} tasks`,
    ]);
  return start;
}

/**
 * Outputs and actions of tasks [0, upTo) from a launch dir (for a task-level rerun of a run that
 * was lost before it wrote its result). Tasks before the old run's own start come from its
 * recovery. A file that cannot be read or is not valid throws BundleProblem: resuming without
 * it would hand the next task a wrong input.
 */
export async function collectTaskFiles(
  t: Transport,
  launchDir: string,
  recovery: Recovery | null,
  upTo: number,
  limits: CollectLimits = {},
): Promise<{ outputs: (JsonValue | null)[]; actions: (JsonObject | null)[] }> {
  if (!Number.isSafeInteger(upTo) || upTo < 0 || upTo > MAX_TASKS)
    throw new BundleProblem([`checkpoint task ${String(upTo)} is not a task number`]);
  const start = Math.min(checkStart(recovery, MAX_TASKS), upTo);
  const files = await readTaskFiles(t, launchDir, start, upTo, limits);
  if (files.invalid.length > 0) throw new BundleProblem(files.invalid);
  return {
    outputs: [...Array.from({ length: start }, (_, i) => recovery?.outputs[i] ?? null), ...files.outputs],
    actions: [...Array.from({ length: start }, (_, i) => recovery?.actions[i] ?? null), ...files.actions],
  };
}

/**
 * The outcome of a finished run, from result.json and the task files. Throws BundleProblem when
 * the result does not fit the job or a task file cannot be read: report it and retry.
 */
export async function collectOutcome(
  t: Transport,
  launchDir: string,
  result: WrapperResult,
  tasks: readonly Task[],
  recovery: Recovery | null,
  limits: CollectLimits = {},
): Promise<Outcome> {
  const start = checkStart(recovery, tasks.length);
  const fits = checkResult(result, result.runId, runScope({ tasks }, { startTask: start }));
  if (!fits.ok) throw new BundleProblem([`${bundlePaths(launchDir).result} ${fits.problem}`]);
  const doneUntil = result.state === "COMPLETED" ? result.nextTask : result.task!;
  const files = await readTaskFiles(t, launchDir, start, doneUntil, limits);
  const taskOutputs = [
    ...Array.from({ length: start }, (_, i) => recovery?.outputs[i] ?? null),
    ...files.outputs,
  ];
  const actions = [
    ...Array.from({ length: start }, (_, i) => recovery?.actions[i] ?? null),
    ...files.actions,
  ];
  const checkpoint = { task: doneUntil, at: result.finishedAt };
  if (files.invalid.length > 0) {
    return {
      state: "FAILED",
      outputs: null,
      taskOutputs,
      actions,
      exitCode: result.exitCode,
      checkpoint,
      error: runError("collect", `a task wrote an invalid file: ${files.invalid.join("; ")}`, {
        exitCode: result.exitCode,
      }),
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
    error: await describeFailure(t, launchDir, result, tasks),
  };
}
