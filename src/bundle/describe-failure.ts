/**
 * The error of a FAILED run, in words a user can act on: which task, how it ended (exit code,
 * signal, walltime, an exception of a js task), and the tail of its stderr. The files read here
 * are untrusted too: bounded reads, and an unreadable one only makes the message shorter.
 */
import type { RunError, Task } from "../model/types.ts";
import type { Transport } from "../transport/types.ts";
import { bundlePaths } from "./layout.ts";
import { checkTaskError, PROTOCOL_MAX_BYTES, printable, type WrapperResult } from "./protocol-files.ts";
import { parseRead, readFiles } from "./read-files.ts";

/** stderr is read up to this size for its tail; a bigger one is named, not read. */
const STDERR_MAX_BYTES = 8 * 1024 * 1024;

function tail(text: string, lines = 40, bytes = 4096): string {
  const t = text.length > bytes ? text.slice(-bytes) : text;
  return t.split("\n").slice(-lines).join("\n").trimEnd();
}

/**
 * The last lines of a log in the launch dir (a task's stderr, scheduler.err), for an error's
 * stack: a bounded read inside the launch dir, NUL replaced (PostgreSQL cannot store it), and
 * the reason instead when the file cannot be read. "" when it does not exist.
 */
export async function readLogTail(t: Transport, launchDir: string, file: string): Promise<string> {
  const read = (await readFiles(t, launchDir, [file], STDERR_MAX_BYTES)).get(file);
  if (read?.kind === "text") return tail(read.text.replaceAll("\u0000", "\ufffd"));
  if (read?.kind === "unreadable") return `(not shown: ${read.problem})`;
  return "";
}

const SIGNAL_REASON: Record<string, string> = {
  TERM: "stopped by SIGTERM (scancel, walltime or preemption)",
  INT: "interrupted (SIGINT)",
  HUP: "hung up (SIGHUP)",
  XCPU: "CPU time limit (SIGXCPU)",
};

export async function describeFailure(
  t: Transport,
  launchDir: string,
  result: WrapperResult,
  tasks: readonly Task[],
): Promise<RunError> {
  const p = bundlePaths(launchDir);
  const i = result.task;
  const task = i === null ? undefined : tasks[i];
  const label =
    i === null
      ? "the run"
      : `task ${i}${task?.name ? ` "${printable(task.name)}"` : ""} (${task?.kind ?? "?"})`;
  const stderr = i === null ? "" : await readLogTail(t, launchDir, p.task(i).stderr);
  if (result.signal) {
    const walltime = result.warning && result.signal === "TERM";
    return {
      message: `${label} ${walltime ? "hit the walltime (warned, then SIGTERM)" : (SIGNAL_REASON[result.signal] ?? `stopped by SIG${result.signal}`)}`,
      stack: stderr || null,
      exitCode: result.exitCode,
      signal: result.signal,
      task: i,
      reason: walltime ? "walltime" : "signal",
    };
  }
  if ((task?.kind === "js" || task?.kind === "py") && i !== null) {
    const file = p.task(i).error;
    const parsed = parseRead(file, (await readFiles(t, launchDir, [file], PROTOCOL_MAX_BYTES)).get(file));
    const err = parsed.kind === "value" ? checkTaskError(parsed.value) : null;
    if (err) {
      return {
        message: `${label} threw: ${err.message ?? "an error"}`,
        stack: err.stack,
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
    stack: stderr || null,
    exitCode: result.exitCode,
    signal: null,
    task: i,
    reason: "task-failed",
  };
}
