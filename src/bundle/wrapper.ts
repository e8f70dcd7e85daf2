/**
 * run.sh: the POSIX `sh` wrapper that runs a job on a compute node with nothing installed there
 * (no ferry, no Node for sh tasks, no Python). It is also the batch script: scheduler directives
 * go at the top. Layout and file meanings: layout.ts.
 *
 * What it does, and why:
 * - records the start (started.json) and keeps `heartbeat` fresh from a background loop, so a
 *   lost run is noticed in minutes (FireWorks pings hourly and waits 4 h: PING_TIME_SECS and
 *   RUN_EXPIRATION_SECS in fireworks/fw_config.py);
 * - writes checkpoint.json before each task: a task-level rerun resumes at the failed task;
 * - runs each task in the background and `wait`s for it, because a trapped signal only
 *   interrupts `wait`, never a foreground command; tasks run with USR1/USR2 ignored, so a
 *   scheduler's walltime warning reaches the wrapper without killing the task;
 * - on TERM/INT/HUP/XCPU (walltime, preemption, scancel, Ctrl+C) kills the task's whole process
 *   tree — found with POSIX `ps -A -o pid= -o ppid=`, since dash has no job control without a
 *   terminal — records the signal with the checkpoint, and exits 128+signal;
 * - writes every file through a temporary name and `mv` (atomic rename), never in place
 *   (FireWorks rewrites FW_offline.json in place and a concurrent recover can fail a healthy
 *   run: `recover_offline` in fireworks/core/launchpad.py);
 * - exits with the failing task's exit code.
 *
 * User data reaches the script only through shQuote (single quotes), and through env.sh.
 */
import { ValidationError } from "../model/errors.ts";
import type { Task } from "../model/types.ts";
import { shQuote } from "../transport/quote.ts";
import { pyFileInBundle } from "./layout.ts";

export interface WrapperOptions {
  launchDir: string;
  runId: number;
  attempt: number;
  jobId: number;
  jobName: string;
  flowId: number;
  tasks: readonly Task[];
  /** First task to run (task-level reruns start later). */
  startTask: number;
  heartbeatSeconds: number;
  /** Scheduler directive lines (#SBATCH …), placed right after the shebang. */
  directives: readonly string[];
  /** Shell lines from the worker's preRun, run before the tasks (module load …). */
  preRun?: string;
  /** Shell lines from the job's own preRun, run after the worker's. */
  jobPreRun?: string;
  node: string;
  /** The python interpreter for py tasks (the worker's python option). */
  python: string;
  ferryVersion: string;
}

function taskLine(task: Task, index: number): string {
  if (task.kind === "js") return `    ${index}) exec "$FERRY_NODE" "$F/worker.mjs" task ${index} ;;`;
  const env = Object.entries(task.env ?? {})
    .map(
      ([k, v]) =>
        `export ${envName(k, `tasks[${index}].env`)}=${scriptWord(v, `tasks[${index}].env.${k}`)}; `,
    )
    .join("");
  if (task.kind === "py") {
    const where =
      task.file !== undefined
        ? `--file ${scriptWord(pyFileInBundle(task.file, index), `tasks[${index}].file`)}`
        : `--module ${scriptWord(task.module!, `tasks[${index}].module`)}`;
    return `    ${index}) ${env}exec "$FERRY_PYTHON" "$F/ferry_py.py" task ${index} ${where} --function ${scriptWord(task.function, `tasks[${index}].function`)} ;;`;
  }
  // $0 is this run.sh, as for a task the launcher supervises (which detect-lost knows by it)
  return `    ${index}) ${env}exec sh -c ${scriptWord(task.command, `tasks[${index}].command`)} "$0" ;;`;
}

export function renderWrapper(o: WrapperOptions): string {
  // Only integers and quoted words reach the script, and no value at all reaches a comment: a
  // newline in a launch dir path ended the header comment and ran the rest of the line, and a
  // checkpoint's `"task": "1; touch x #"` was pasted into FERRY_START_TASK= (issue #8).
  const taskCount = o.tasks.length;
  const runId = wholeNumber(o.runId, "runId", 1);
  const attempt = wholeNumber(o.attempt, "attempt", 0);
  const jobId = wholeNumber(o.jobId, "jobId", 1);
  const flowId = wholeNumber(o.flowId, "flowId", 1);
  const startTask = wholeNumber(o.startTask, "startTask", 0, taskCount);
  const heartbeat = wholeNumber(
    Number.isFinite(o.heartbeatSeconds) ? Math.round(o.heartbeatSeconds) : o.heartbeatSeconds,
    "heartbeatSeconds",
    0,
  );
  const directives = o.directives.map((d, i) => {
    if (!d.startsWith("#") || /[\u0000\n\r]/.test(d))
      refuse(`directives[${i}]`, "a directive is one line starting with #");
    return d;
  });
  const header = [
    "#!/bin/sh",
    ...directives,
    `# ferry job bundle: run ${runId} (attempt ${attempt}) of job ${jobId} in flow ${flowId}.`,
    `# Written by ferry ${/^[0-9A-Za-z.+-]+$/.test(o.ferryVersion) ? o.ferryVersion : "?"}; do not edit. Run it by hand with: ferry exec <its launch dir> (FERRY_LAUNCH_DIR below)`,
  ];
  const body = `
FERRY_DEFAULT_LAUNCH_DIR=${scriptWord(o.launchDir, "launchDir")}
FERRY_LAUNCH_DIR=\${FERRY_LAUNCH_DIR:-$FERRY_DEFAULT_LAUNCH_DIR}
FERRY_RUN_ID=${runId}
FERRY_JOB_ID=${jobId}
FERRY_FLOW_ID=${flowId}
FERRY_JOB_NAME=${scriptWord(o.jobName, "jobName")}
FERRY_DEFAULT_NODE=${scriptWord(o.node, "node")}
FERRY_NODE=\${FERRY_NODE:-$FERRY_DEFAULT_NODE}
FERRY_DEFAULT_PYTHON=${scriptWord(o.python, "python")}
FERRY_PYTHON=\${FERRY_PYTHON:-$FERRY_DEFAULT_PYTHON}
FERRY_HEARTBEAT_SECONDS=\${FERRY_HEARTBEAT_SECONDS:-${heartbeat}}
FERRY_KILL_GRACE=\${FERRY_KILL_GRACE:-10}
FERRY_START_TASK=${startTask}
FERRY_TASK_COUNT=${taskCount}
export FERRY_LAUNCH_DIR FERRY_RUN_ID FERRY_JOB_ID FERRY_FLOW_ID FERRY_JOB_NAME FERRY_NODE FERRY_PYTHON
F="$FERRY_LAUNCH_DIR/_ferry"
export FERRY_INPUTS="$F/inputs.json"

# the clock without a fork per reading: one \`date +%s\` at the start, then whole seconds of
# /proc/uptime (a builtin read) added to it; \`date\` where /proc is missing
ferry_up() { ferry_u=; { read -r ferry_u ferry_x </proc/uptime; } 2>/dev/null; ferry_u=\${ferry_u%%.*}; case $ferry_u in ''|*[!0-9]*) ferry_u= ;; esac; }
ferry_now() {
  ferry_up
  if [ -n "$ferry_u" ] && [ -n "$FERRY_UP0" ]; then ferry_t=$((FERRY_T0 + ferry_u - FERRY_UP0)); else ferry_t=$(date +%s); fi
}
ferry_put() { printf '%s\\n' "$2" >"$F/.$1.$$.tmp" && mv -f "$F/.$1.$$.tmp" "$F/$1"; }
ferry_tree() {
  ps -A -o pid= -o ppid= 2>/dev/null | awk -v r="$1" '{ k[$2] = k[$2] " " $1 }
    END { q = r; while (q != "") { n = split(q, a, " "); q = ""; for (i = 1; i <= n; i++) { printf "%s ", a[i]; q = q k[a[i]] } } }'
}
ferry_kill_tree() { ferry_pids=$(ferry_tree "$1"); [ -n "$ferry_pids" ] && kill -"$2" $ferry_pids 2>/dev/null; }

cd "$FERRY_LAUNCH_DIR" || { echo "ferry: cannot enter $FERRY_LAUNCH_DIR" >&2; exit 97; }
if [ -f "$F/result.json" ]; then echo "ferry: run $FERRY_RUN_ID already finished: $F/result.json exists" >&2; exit 98; fi
. "$F/env.sh" || { echo "ferry: cannot read $F/env.sh" >&2; exit 97; }

FERRY_SIGNAL=
FERRY_TASK_PID=
FERRY_KILLER=
ferry_on_signal() {
  FERRY_SIGNAL=$1
  if [ -n "$FERRY_TASK_PID" ]; then
    ferry_kill_tree "$FERRY_TASK_PID" TERM
    # SIGKILL for a task that ignores TERM; cancelled as soon as the task is reaped, because a
    # PID killed later could belong to another process by then (PIDs wrap within minutes)
    ( sleep "$FERRY_KILL_GRACE"; ferry_kill_tree "$FERRY_TASK_PID" KILL ) >/dev/null 2>&1 &
    FERRY_KILLER=$!
  fi
}
trap 'ferry_on_signal TERM' TERM
trap 'ferry_on_signal INT' INT
trap 'ferry_on_signal HUP' HUP
trap 'ferry_on_signal XCPU' XCPU
trap 'ferry_now; ferry_put warning "$ferry_t"' USR1 USR2

# every fork costs a millisecond or two: read the host name with a builtin, check words with case
ferry_up; FERRY_UP0=$ferry_u; FERRY_T0=$(date +%s)
FERRY_STARTED=$FERRY_T0
# Resuming after task FERRY_RESUME_TASK ended with FERRY_RESUME_RC: what a launcher's task
# process does when the launcher that supervised it is gone (src/launcher/supervise.ts). Only
# whole numbers in range and known signal names are taken; the task does not see them.
FERRY_RESUME=
case \${FERRY_RESUME_TASK-}:\${FERRY_RESUME_RC-}:\${FERRY_RESUME_STARTED-} in
  :*|*::*|*:|*[!0-9:]*) ;;
  *) if [ "$FERRY_RESUME_TASK" -ge "$FERRY_START_TASK" ] && [ "$FERRY_RESUME_TASK" -lt "$FERRY_TASK_COUNT" ] && [ "$FERRY_RESUME_RC" -le 255 ]; then
       FERRY_RESUME=$FERRY_RESUME_TASK; FERRY_RESUME_EXIT=$FERRY_RESUME_RC; FERRY_STARTED=$FERRY_RESUME_STARTED
       case \${FERRY_RESUME_SIGNAL-} in TERM|INT|HUP|XCPU) FERRY_SIGNAL=$FERRY_RESUME_SIGNAL ;; esac
     fi ;;
esac
unset FERRY_RESUME_TASK FERRY_RESUME_RC FERRY_RESUME_STARTED FERRY_RESUME_SIGNAL
FERRY_HOST=
{ read -r FERRY_HOST </proc/sys/kernel/hostname; } 2>/dev/null || FERRY_HOST=$(uname -n)
case $FERRY_HOST in *[!A-Za-z0-9._-]*) FERRY_HOST=unknown ;; esac
FERRY_SCHEDULER_JOB=\${SLURM_JOB_ID:-\${PBS_JOBID:-\${JOB_ID:-\${LSB_JOBID:-}}}}
case $FERRY_SCHEDULER_JOB in *[!A-Za-z0-9._:@-]*) FERRY_SCHEDULER_JOB=unknown ;; esac
ferry_put started.json "{\\"runId\\":$FERRY_RUN_ID,\\"at\\":$FERRY_STARTED,\\"host\\":\\"$FERRY_HOST\\",\\"pid\\":$$,\\"schedulerJobId\\":\\"$FERRY_SCHEDULER_JOB\\"}"
FERRY_HB=
if [ "$FERRY_HEARTBEAT_SECONDS" -gt 0 ] 2>/dev/null; then
  ferry_put heartbeat "$FERRY_STARTED"
  # TERM stops the loop and its sleep (no \`ps | awk\` over the process table to find it)
  (
    trap 'kill "$ferry_s" 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$FERRY_HEARTBEAT_SECONDS" & ferry_s=$!
      wait "$ferry_s" || exit 0
      ferry_now; ferry_put heartbeat "$ferry_t"
    done
  ) >/dev/null 2>&1 &
  FERRY_HB=$!
fi
${o.preRun ? `\n# worker preRun\n${o.preRun}\n` : ""}${o.jobPreRun ? `\n# job preRun\n${o.jobPreRun}\n` : ""}
ferry_run_task() {
  case $1 in
${o.tasks.map(taskLine).join("\n")}
  esac
  exit 127
}

FERRY_STATE=COMPLETED
FERRY_EXIT=0
FERRY_FAILED_TASK=null
FERRY_STOPPED=false
i=$FERRY_START_TASK
if [ -n "$FERRY_RESUME" ]; then i=$FERRY_RESUME; fi
while [ "$i" -lt "$FERRY_TASK_COUNT" ]; do
  T="$F/tasks/$i"
  if [ -n "$FERRY_RESUME" ]; then
    FERRY_RC=$FERRY_RESUME_EXIT; FERRY_RESUME=
  else
  if [ -n "$FERRY_SIGNAL" ]; then FERRY_STATE=FAILED; FERRY_FAILED_TASK=$i; break; fi
  [ -d "$T" ] || mkdir -p "$T"
  ferry_put checkpoint.json "{\\"runId\\":$FERRY_RUN_ID,\\"task\\":$i}"
  (
    trap '' USR1 USR2
    FERRY_TASK=$i FERRY_OUTPUTS="$T/output.json" FERRY_ACTION="$T/action.json" FERRY_STOP="$T/stop"
    export FERRY_TASK FERRY_OUTPUTS FERRY_ACTION FERRY_STOP
    ferry_run_task "$i"
  ) >"$T/stdout" 2>"$T/stderr" &
  FERRY_TASK_PID=$!
  wait "$FERRY_TASK_PID"; FERRY_RC=$?
  # a trapped signal interrupts wait while the task may still run (or be an unreaped zombie)
  while kill -0 "$FERRY_TASK_PID" 2>/dev/null; do wait "$FERRY_TASK_PID"; FERRY_RC=$?; done
  FERRY_TASK_PID=
  if [ -n "$FERRY_KILLER" ]; then ferry_kill_tree "$FERRY_KILLER" TERM; FERRY_KILLER=; fi
  fi
  if [ -n "$FERRY_SIGNAL" ]; then FERRY_STATE=FAILED; FERRY_FAILED_TASK=$i; break; fi
  if [ "$FERRY_RC" -ne 0 ]; then FERRY_STATE=FAILED; FERRY_FAILED_TASK=$i; FERRY_EXIT=$FERRY_RC; break; fi
  i=$((i + 1))
  if [ -e "$T/stop" ]; then FERRY_STOPPED=true; break; fi
done

if [ -n "$FERRY_HB" ]; then kill "$FERRY_HB" 2>/dev/null; fi
FERRY_SIGNAL_JSON=null
if [ -n "$FERRY_SIGNAL" ]; then
  FERRY_SIGNAL_JSON="\\"$FERRY_SIGNAL\\""
  case $FERRY_SIGNAL in HUP) FERRY_EXIT=129 ;; INT) FERRY_EXIT=130 ;; TERM) FERRY_EXIT=143 ;; XCPU) FERRY_EXIT=152 ;; esac
fi
FERRY_WARNED=false
if [ -f "$F/warning" ]; then FERRY_WARNED=true; fi
ferry_now
ferry_put result.json "{\\"runId\\":$FERRY_RUN_ID,\\"state\\":\\"$FERRY_STATE\\",\\"exitCode\\":$FERRY_EXIT,\\"signal\\":$FERRY_SIGNAL_JSON,\\"task\\":$FERRY_FAILED_TASK,\\"nextTask\\":$i,\\"stopped\\":$FERRY_STOPPED,\\"warning\\":$FERRY_WARNED,\\"startedAt\\":$FERRY_STARTED,\\"finishedAt\\":$ferry_t}"
exit "$FERRY_EXIT"
`;
  return `${header.join("\n")}\n${body}`;
}

function refuse(field: string, message: string): never {
  throw new ValidationError("cannot write run.sh", [{ field, message }]);
}

/** An integer for the script, or a refusal: nothing else may stand unquoted in a shell line. */
function wholeNumber(v: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    refuse(field, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return v;
}

/** A word quoted for sh; a NUL cannot be written in a script (sh drops or stops at it). */
function scriptWord(v: string, field: string): string {
  if (typeof v !== "string") refuse(field, `must be text, not ${JSON.stringify(v)}`);
  if (v.includes("\u0000")) refuse(field, "contains a NUL character, which no shell script can hold");
  return shQuote(v);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envName(k: string, field: string): string {
  if (!ENV_NAME.test(k)) refuse(field, `${JSON.stringify(k)} is not an environment variable name`);
  return k;
}

/**
 * What reaches a task's environment as `$FERRY_IN_<key>`, and why: Linux refuses to start a
 * process when one environment string passes MAX_ARG_STRLEN (128 KiB) or all of them together
 * pass ARG_MAX (2 MiB with the usual 8 MiB stack) — the task would fail with E2BIG, far from
 * where the input was written. And a NUL cannot be held in an environment string at all (it
 * vanished from `$FERRY_IN_x` while inputs.json kept it, issue #8). So an input is exported
 * only when its key is a shell name, its text holds no NUL and is at most 64 KiB (UTF-8), and
 * it fits in 256 KiB for all exported inputs together (inputs in their order); every input is
 * always in inputs.json ($FERRY_INPUTS), which is what a task should read for the others.
 */
export const MAX_EXPORTED_INPUT_BYTES = 64 * 1024;
export const MAX_EXPORTED_INPUTS_BYTES = 256 * 1024;

/** Which inputs become FERRY_IN_<key> (see above), with their text. */
export function exportedInputs(inputs: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  let total = 0;
  for (const [key, value] of Object.entries(inputs)) {
    if (!ENV_NAME.test(key)) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text === undefined || text.includes("\u0000")) continue;
    const bytes = Buffer.byteLength(`FERRY_IN_${key}=${text}`) + 1;
    if (bytes > MAX_EXPORTED_INPUT_BYTES || total + bytes > MAX_EXPORTED_INPUTS_BYTES) continue;
    total += bytes;
    out.push([key, text]);
  }
  return out;
}

/** env.sh: the exported inputs as FERRY_IN_<key>, then the worker's environment, quoted for sh. */
export function renderEnvFile(
  inputs: Record<string, unknown>,
  env: Readonly<Record<string, string>>,
): string {
  const lines = ["# inputs and environment of this run, quoted for sh (written by ferry)"];
  for (const [key, text] of exportedInputs(inputs)) lines.push(`export FERRY_IN_${key}=${shQuote(text)}`);
  for (const [key, value] of Object.entries(env))
    lines.push(`export ${envName(key, `env.${key}`)}=${scriptWord(value, `env.${key}`)}`);
  return `${lines.join("\n")}\n`;
}
