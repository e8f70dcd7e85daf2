/**
 * Run a claimed job's tasks under the launcher itself, without the per-job POSIX wrapper (pull
 * mode, where a ferry process is there to supervise). The launcher writes the protocol files
 * run.sh writes (started.json, checkpoint.json, warning, result.json, each through a temporary
 * name and a rename); each task gets the environment run.sh gives it — FERRY_* variables,
 * env.sh's, the task's env, USR1/USR2 ignored, stdout/stderr in tasks/<i>/, `$0` its run.sh —
 * in its own process group. What a user sees in the launch dir, and what collect/detect-lost
 * read back, is the same as from run.sh.
 *
 * Tasks are started, in order of preference, by the task supervisor (supervisor.ts: one Python
 * process per launcher, one process per task), by the task-shell spawner (spawner.ts: a small
 * `sh` forking TASK_SHELL below, where no python3 runs), or by the launcher itself.
 *
 * Why: run.sh costs six processes per job; the supervisor's path costs one, the task's own.
 *
 * When the launcher dies (kill -9) while a task runs, the supervisor (or the task shell)
 * outlives it and, when the task ends, hands over to run.sh, which records that task's end and
 * runs the remaining ones — the next launcher collects the result as it collects a surviving
 * wrapper's (abandoned.ts).
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import type { BundlePaths } from "../bundle/layout.ts";
import { pyFileInBundle } from "../bundle/layout.ts";
import type { Started, WrapperResult } from "../bundle/protocol-files.ts";
import { exportedInputs } from "../bundle/wrapper.ts";
import type { ClaimedRun } from "../engine/claim.ts";
import type { Task } from "../model/types.ts";
import type { TaskSpawner } from "./spawner.ts";
import type { SupervisedTask, TaskEnd, TaskSupervisor } from "./supervisor.ts";

/**
 * The task shell: $1 the id its `started <id> <pid>` and `exit <id> <code>` lines on fd 3 carry for the spawner
 * (spawner.ts; "-": started by Node, no line), then $1 launcher pid, $2 launch dir, $3 run, $4 job, $5 flow, $6 job name, $7 node,
 * $8 python, $9 task index, $10 run start (epoch s), $11 how many task env words follow, the
 * words (NAME=value), then the task: `sh <command>`, `js`, or `py <runner arguments>`.
 * $0 is run.sh's path: detect-lost and `rerun --force` know a live run by it. A TERM/INT/HUP/XCPU
 * sent to the task shell (`rerun --force` signals started.json's pid) stops the task's process
 * group, as run.sh's trap does, and is written to tasks/<i>/signal for the launcher.
 */
export const TASK_SHELL = `trap '' USR1 USR2
ferry_sig=
ferry_on_signal() { if [ -z "$ferry_sig" ]; then ferry_sig=$1; kill -TERM 0 2>/dev/null; fi; }
trap 'ferry_on_signal TERM' TERM
trap 'ferry_on_signal INT' INT
trap 'ferry_on_signal HUP' HUP
trap 'ferry_on_signal XCPU' XCPU
ferry_report=$1
[ "$ferry_report" = - ] || printf 'started %s %s\n' "$ferry_report" "$$" >&3
shift
ferry_launcher=$1
FERRY_LAUNCH_DIR=$2 FERRY_RUN_ID=$3 FERRY_JOB_ID=$4 FERRY_FLOW_ID=$5 FERRY_JOB_NAME=$6
FERRY_NODE=\${FERRY_NODE:-$7} FERRY_PYTHON=\${FERRY_PYTHON:-$8} FERRY_TASK=$9
shift 9
ferry_started=$1 ferry_n=$2
shift 2
export FERRY_LAUNCH_DIR FERRY_RUN_ID FERRY_JOB_ID FERRY_FLOW_ID FERRY_JOB_NAME FERRY_NODE FERRY_PYTHON
F="$FERRY_LAUNCH_DIR/_ferry"
T="$F/tasks/$FERRY_TASK"
export FERRY_INPUTS="$F/inputs.json"
. "$F/env.sh" || { echo "ferry: cannot read $F/env.sh" >&2; exit 97; }
FERRY_OUTPUTS="$T/output.json" FERRY_ACTION="$T/action.json" FERRY_STOP="$T/stop"
export FERRY_TASK FERRY_OUTPUTS FERRY_ACTION FERRY_STOP
while [ "$ferry_n" -gt 0 ]; do export "$1"; shift; ferry_n=$((ferry_n - 1)); done
ferry_task() {
  case $1 in
    sh) exec sh -c "$2" "$0" ;;
    js) exec "$FERRY_NODE" "$F/worker.mjs" task "$FERRY_TASK" ;;
    py) shift; exec "$FERRY_PYTHON" "$F/ferry_py.py" task "$FERRY_TASK" "$@" ;;
  esac
  exit 127
}
# in the background and waited for, as run.sh does: a trapped signal interrupts only wait
ferry_task "$@" 3>&- &
ferry_pid=$!
wait "$ferry_pid"; ferry_rc=$?
while kill -0 "$ferry_pid" 2>/dev/null; do wait "$ferry_pid"; ferry_rc=$?; done
if kill -0 "$ferry_launcher" 2>/dev/null; then
  if [ -n "$ferry_sig" ]; then printf '%s\\n' "$ferry_sig" >"$T/signal"; fi
  [ "$ferry_report" = - ] && exit "$ferry_rc"
  trap '' PIPE
  printf 'exit %s %s\\n' "$ferry_report" "$ferry_rc" >&3 2>/dev/null && exit "$ferry_rc"
fi
[ "$ferry_report" = - ] || exec 3>&-
trap - PIPE
FERRY_RESUME_TASK=$FERRY_TASK FERRY_RESUME_RC=$ferry_rc FERRY_RESUME_STARTED=$ferry_started FERRY_RESUME_SIGNAL=$ferry_sig
export FERRY_RESUME_TASK FERRY_RESUME_RC FERRY_RESUME_STARTED FERRY_RESUME_SIGNAL
exec sh "$F/run.sh" >>"$F/scheduler.out" 2>>"$F/scheduler.err"
`;

/** The exit codes run.sh gives a run it stopped on a signal. */
const SIGNAL_EXIT: Record<string, number> = { HUP: 129, INT: 130, TERM: 143, XCPU: 152 };

export interface SuperviseOptions {
  /** This launcher's pid: the task shell hands over to run.sh when it is gone. */
  launcherPid: number;
  host: string;
  schedulerJobId: string;
  node: string;
  python: string;
  /** How long a signalled task has before SIGKILL (run.sh's FERRY_KILL_GRACE, 10 s). */
  killGraceMs: number;
  /** Called with each task's process group (its task shell's pid) once it started. */
  onStart?: (pid: number) => void;
  /** Fork task shells from this small process rather than from the launcher (spawner.ts). */
  spawner?: TaskSpawner | null;
  /** Start tasks through this supervisor (supervisor.ts), first choice when it is alive. */
  supervisor?: TaskSupervisor | null;
  /** The worker's environment (what env.sh exports after the inputs; the job's env wins). */
  env?: Readonly<Record<string, string>>;
}

function taskWords(task: Task, index: number): string[] {
  if (task.kind === "js") return ["js"];
  if (task.kind === "py") {
    const where =
      task.file !== undefined ? ["--file", pyFileInBundle(task.file, index)] : ["--module", task.module!];
    return ["py", ...where, "--function", task.function];
  }
  return ["sh", task.command];
}

function taskEnv(task: Task): string[] {
  if (task.kind === "js") return [];
  return Object.entries(task.env ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** Write through a temporary name and a rename, as run.sh's ferry_put does. */
function put(file: string, text: string): void {
  const tmp = join(dirname(file), `.${file.slice(dirname(file).length + 1)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${text}\n`);
  renameSync(tmp, file);
}

const seconds = () => Math.floor(Date.now() / 1000);

function caughtSignal(taskDir: string): string | null {
  try {
    const name = readFileSync(join(taskDir, "signal"), "utf8").trim();
    return name in SIGNAL_EXIT ? name : null;
  } catch {
    return null;
  }
}

/** What run.sh writes for a host name or scheduler job id outside its safe characters. */
export function cleanWord(v: string, allowed: RegExp): string {
  return allowed.test(v) ? v : "unknown";
}

/** One job's tasks under this process; `signal` and `warn` are what run.sh's traps do. */
export class SupervisedRun {
  readonly #claim: ClaimedRun;
  readonly #paths: BundlePaths;
  readonly #o: SuperviseOptions;
  #pgid: number | undefined;
  #signal: string | null = null;
  #warned = false;
  #killer: NodeJS.Timeout | undefined;
  started: Started | null = null;

  constructor(claim: ClaimedRun, paths: BundlePaths, o: SuperviseOptions) {
    this.#claim = claim;
    this.#paths = paths;
    this.#o = o;
  }

  /** TERM/INT/HUP/XCPU: stop the task's process group, SIGKILL after the grace, record the signal. */
  signal(name: "TERM" | "INT" | "HUP" | "XCPU" = "TERM"): void {
    if (this.#signal === null) this.#signal = name;
    if (this.#pgid === undefined) return;
    this.#kill("SIGTERM");
    this.#killer ??= setTimeout(() => this.#kill("SIGKILL"), this.#o.killGraceMs);
    this.#killer.unref();
  }

  /** The scheduler warned that the walltime ends soon (USR1/USR2 to the launcher). */
  warn(): void {
    this.#warned = true;
    put(this.#paths.warning, String(seconds()));
  }

  #kill(signal: NodeJS.Signals): void {
    try {
      if (this.#pgid !== undefined) process.kill(-this.#pgid, signal);
    } catch {
      // the group is gone already
    }
  }

  async run(): Promise<WrapperResult> {
    const { job, runId } = this.#claim;
    const p = this.#paths;
    const start = this.#claim.recovery?.startTask ?? 0;
    const startedAt = seconds();
    let state: "COMPLETED" | "FAILED" = "COMPLETED";
    let exitCode = 0;
    let failedTask: number | null = null;
    let stopped = false;
    let i = start;
    for (; i < job.tasks.length; i++) {
      if (this.#signal !== null) {
        state = "FAILED";
        failedTask = i;
        break;
      }
      put(p.checkpoint, JSON.stringify({ runId, task: i }));
      const end = await this.#runTask(job.tasks[i]!, i, startedAt);
      const rc = end.code;
      clearTimeout(this.#killer);
      this.#killer = undefined;
      this.#pgid = undefined;
      // a signal the supervisor or task shell caught that this launcher did not send (the
      // scheduler's TERM to every process of the allocation): run.sh would have recorded it too
      if (this.#signal === null) this.#signal = end.signal;
      if (this.#signal !== null) {
        state = "FAILED";
        failedTask = i;
        break;
      }
      if (rc !== 0) {
        state = "FAILED";
        failedTask = i;
        exitCode = rc;
        break;
      }
      if (existsSync(p.task(i).stop)) {
        stopped = true;
        i++;
        break;
      }
    }
    if (this.#signal !== null) exitCode = SIGNAL_EXIT[this.#signal] ?? 143;
    const result: WrapperResult = {
      runId,
      state,
      exitCode,
      signal: this.#signal,
      task: failedTask,
      nextTask: i,
      stopped,
      warning: this.#warned,
      startedAt,
      finishedAt: seconds(),
    };
    put(p.result, JSON.stringify(result));
    return result;
  }

  /** Start task `i` in its own process group and wait for it. */
  async #runTask(task: Task, i: number, startedAt: number): Promise<TaskEnd> {
    const supervisor = this.#o.supervisor;
    if (supervisor?.alive) {
      const end = await supervisor.run(this.#supervised(task, i, startedAt), (pid) =>
        this.#started(this.#claim.runId, startedAt, pid, supervisor.pid),
      );
      if (end.error)
        writeFileSync(this.#paths.task(i).stderr, `ferry: cannot start the task: ${end.error}\n`, {
          flag: "a",
        });
      return end;
    }
    const code = await this.#shellTask(task, i, startedAt);
    // the task shell writes the signal it caught to a file (the supervisor says it on its line)
    return { code, signal: caughtSignal(this.#paths.task(i).dir) };
  }

  #baseEnv: Record<string, string> | undefined;

  /** What the supervisor starts for task `i`: the process run.sh's task line would exec. */
  #supervised(task: Task, i: number, startedAt: number): SupervisedTask {
    const { job, runId, launchDir } = this.#claim;
    const p = this.#paths;
    const t = p.task(i);
    // the environment's own FERRY_NODE / FERRY_PYTHON win, as in run.sh
    const node = process.env.FERRY_NODE || this.#o.node;
    const python = process.env.FERRY_PYTHON || this.#o.python;
    this.#baseEnv ??= {
      FERRY_LAUNCH_DIR: launchDir,
      FERRY_RUN_ID: String(runId),
      FERRY_JOB_ID: String(job.id),
      FERRY_FLOW_ID: String(job.flowId),
      FERRY_JOB_NAME: job.name,
      FERRY_NODE: node,
      FERRY_PYTHON: python,
      FERRY_INPUTS: p.inputs,
      // env.sh: the exported inputs, then the worker's environment, then the job's
      ...Object.fromEntries(exportedInputs(this.#claim.inputs).map(([k, v]) => [`FERRY_IN_${k}`, v])),
      ...this.#o.env,
      ...job.env,
    };
    const env: Record<string, string> = {
      ...this.#baseEnv,
      FERRY_TASK: String(i),
      FERRY_OUTPUTS: t.output,
      FERRY_ACTION: t.action,
      FERRY_STOP: t.stop,
      ...(task.kind === "js" ? {} : task.env),
    };
    // the interpreter after env.sh, as the task shell's `exec "$FERRY_NODE"` reads it
    const argv =
      task.kind === "sh"
        ? ["sh", "-c", task.command, p.script]
        : task.kind === "js"
          ? [env.FERRY_NODE ?? node, p.worker, "task", String(i)]
          : [env.FERRY_PYTHON ?? python, p.pyRunner, "task", String(i), ...taskWords(task, i).slice(1)];
    return {
      argv,
      env,
      cwd: launchDir,
      stdout: t.stdout,
      stderr: t.stderr,
      handover: {
        script: p.script,
        task: i,
        started: startedAt,
        out: p.schedulerOut,
        err: p.schedulerErr,
        cwd: launchDir,
      },
    };
  }

  /** Task `i` through the task shell (spawner or forked here); resolves its exit code. */
  #shellTask(task: Task, i: number, startedAt: number): Promise<number> {
    const { job, runId, launchDir } = this.#claim;
    const t = this.#paths.task(i);
    const env = taskEnv(task);
    const args = (report: string) => [
      this.#paths.script,
      report,
      String(this.#o.launcherPid),
      launchDir,
      String(runId),
      String(job.id),
      String(job.flowId),
      job.name,
      this.#o.node,
      this.#o.python,
      String(i),
      String(startedAt),
      String(env.length),
      ...env,
      ...taskWords(task, i),
    ];
    const spawner = this.#o.spawner;
    if (spawner?.alive)
      return spawner.run(args, { stdout: t.stdout, stderr: t.stderr, cwd: launchDir }, (pid) =>
        this.#started(runId, startedAt, pid),
      );
    const out = openSync(t.stdout, "w");
    const err = openSync(t.stderr, "w");
    return new Promise<number>((resolve) => {
      const child = spawn("sh", ["-c", TASK_SHELL, ...args("-")], {
        detached: true,
        stdio: ["ignore", out, err],
        cwd: launchDir,
      });
      let open = true;
      const closeFiles = () => {
        if (!open) return;
        open = false;
        closeSync(out);
        closeSync(err);
      };
      child.on("error", (e) => {
        if (!open) return;
        closeFiles();
        writeFileSync(t.stderr, `ferry: cannot start sh: ${e.message}\n`, { flag: "a" });
        resolve(127);
      });
      child.on("spawn", () => this.#started(runId, startedAt, child.pid!));
      child.on("exit", (code, signal) => {
        closeFiles();
        resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 15) : 15));
      });
    });
  }

  #started(runId: number, startedAt: number, pid: number, supervisor?: number): void {
    this.#pgid = pid;
    this.started = {
      at: startedAt,
      host: this.#o.host,
      pid,
      schedulerJobId: this.#o.schedulerJobId,
      ...(supervisor ? { supervisor } : {}),
    };
    // the pid of the running task's group: what detect-lost and a relaunch look for
    put(this.#paths.started, JSON.stringify({ runId, ...this.started }));
    this.#o.onStart?.(pid);
    if (this.#signal !== null) this.signal();
  }
}
