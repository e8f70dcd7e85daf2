/**
 * The shell "scheduler": a detached local `sh <script>`. Submitting runs a fixed launcher script;
 * every request value is a positional parameter, never pasted into shell text.
 *
 * The launcher starts the supervisor with `nohup setsid` and prints its PID, which is the job
 * id. setsid does not fork here (the background child of a non-interactive sh is not a process
 * group leader), so the printed PID is the supervisor itself: session leader and process group
 * leader of the whole job. The supervisor runs the script, delivers the walltime warning to the
 * script, enforces the walltime (SIGTERM to the job's group, SIGKILL 10 s later) and, when the
 * script ends, kills whatever the job left behind, as a batch scheduler's cleanup does.
 */
import { ValidationError } from "../../model/errors.ts";
import type { CommandSpec } from "../../transport/types.ts";
import { sanitizeJobName } from "../common/directives.ts";
import { checkRunNames } from "../common/names.ts";
import type { JobNameLimits, SubmitRequest } from "../types.ts";

/** The job name is the supervisor's $0: seen by `ps -o args`, which is how a name is looked up. */
export const SHELL_JOB_NAME: JobNameLimits = { maxLength: 100, startWithLetter: true };

/** $1 script, $2 walltime seconds (0: none), $3 warning signal, $4 warning seconds (0: none). */
export const SHELL_SUPERVISOR = [
  "FERRY_SHELL_JOB_ID=$$; export FERRY_SHELL_JOB_ID",
  'sh "$1" &',
  "child=$!",
  // after the fork: the script keeps default TERM handling; the supervisor and watchdog ignore
  // the TERM that cancel (kill -TERM -- -PID) sends to the whole group, to finish the cleanup
  "trap '' TERM",
  'if [ "$2" -gt 0 ]; then',
  "  (",
  '    if [ "$4" -gt 0 ]; then sleep $(($2 - $4)); kill -s "$3" "$child" 2>/dev/null; sleep "$4"; else sleep "$2"; fi',
  '    kill -s TERM -- "-$FERRY_SHELL_JOB_ID" 2>/dev/null',
  "    sleep 10",
  '    kill -s KILL -- "-$FERRY_SHELL_JOB_ID" 2>/dev/null',
  "  ) &",
  "fi",
  'wait "$child"',
  'kill -s KILL -- "-$FERRY_SHELL_JOB_ID" 2>/dev/null',
].join("\n");

/**
 * $1 workDir, $2 script, $3 stdout, $4 stderr, $5-$7 supervisor limits, $8 supervisor text,
 * $9 job name (the supervisor's $0, so `ps -o args` shows which job a process is).
 */
export const SHELL_LAUNCHER = [
  'cd "$1" || exit 1',
  'nohup setsid sh -c "$8" "$9" "$2" "$5" "$6" "$7" </dev/null >"$3" 2>"$4" &',
  "echo $!",
].join("\n");

export function shellSubmitCommand(req: SubmitRequest): CommandSpec {
  const limit = req.resources.walltimeSeconds ?? 0;
  const warning = req.warning;
  return {
    argv: [
      "sh",
      "-c",
      SHELL_LAUNCHER,
      "ferry-submit",
      req.workDir,
      req.scriptPath,
      req.stdoutPath,
      req.stderrPath,
      String(limit),
      warning?.signal ?? "USR1",
      String(warning?.secondsBefore ?? 0),
      SHELL_SUPERVISOR,
      sanitizeJobName(req.resources.jobName ?? req.jobName, SHELL_JOB_NAME),
    ],
  };
}

function checkPids(ids: readonly string[]): void {
  const bad = ids.filter((id) => !/^[1-9]\d*$/.test(id));
  if (bad.length > 0) {
    throw new ValidationError(
      "not process ids:",
      bad.map((id) => ({ field: "id", message: JSON.stringify(id) })),
    );
  }
}

/**
 * pid, session id, state and command line of each job. A job id is a PID, and PIDs are reused
 * (pid_max is 32768 on many Linux machines and wraps within minutes under load): a live job is a
 * session leader (pid = sid) whose command line holds the supervisor's text (SHELL_SUPERVISOR
 * starts with FERRY_SHELL_JOB_ID), so a daemon that got the PID later is not taken for the job.
 */
export function psCommand(ids: readonly string[]): CommandSpec {
  checkPids(ids);
  return { argv: ["ps", "-o", "pid=,sid=,stat=,args=", "-p", ids.length > 0 ? ids.join(",") : "1"] };
}

/**
 * Every process with its session and command line, wide (`-ww`: never cut to the terminal's
 * width): a job is a session leader running the supervisor, and its name is the supervisor's $0.
 */
export function psNamesCommand(names: readonly string[]): CommandSpec {
  checkRunNames(names);
  return { argv: ["ps", "-A", "-ww", "-o", "pid=,sid=,stat=,args="] };
}

/**
 * Kill the whole process group of each job (script, tasks, supervisor) — only if the PID still
 * is that job: `kill -- -PID` on a reused PID would kill an unrelated session (we saw a CI run lose
 * sge_execd, a session leader, this way).
 */
export const SHELL_KILLER = [
  "for id; do",
  '  if ps -o args= -p "$id" 2>/dev/null | grep -q FERRY_SHELL_JOB_ID; then kill -s TERM -- "-$id" 2>/dev/null; fi',
  "done",
  "exit 0",
].join("\n");

export function killCommand(ids: readonly string[]): CommandSpec {
  checkPids(ids);
  return { argv: ["sh", "-c", SHELL_KILLER, "ferry-cancel", ...ids] };
}
