/**
 * The job bundle protocol: the files of one run in its launch directory. Written by the login
 * side (job, inputs, env, run.sh, worker.mjs), by the wrapper on the compute side (started,
 * heartbeat, checkpoint, warning, result, task logs) and by tasks (output, action). Every file is
 * written to a temporary name and renamed into place, so a reader never sees half of one.
 *
 *   <launch dir>/                 the tasks' working directory (their own files)
 *   <launch dir>/_ferry/          protocol files (a previous run's are kept as _ferry.run-<id>/)
 *     job.json                    the resolved job (references resolved, recovery included)
 *     inputs.json                 the resolved inputs ($FERRY_INPUTS)
 *     env.sh                      FERRY_IN_<key> variables and the worker's environment, quoted
 *     run.sh                      the POSIX wrapper, which is also the batch script
 *     worker.mjs                  js tasks and ferry's worker runtime, bundled by esbuild
 *     ferry_py.py                 the runner of py tasks (exec/ferry_py.py, standard library only)
 *     py/<i>/<name>.py            the file of py task i given as a path (copied from the login side)
 *     started.json                {runId, at, host, pid, schedulerJobId}
 *     heartbeat                   epoch seconds, rewritten every heartbeatSeconds
 *     checkpoint.json             {runId, task, at}: written before each task
 *     warning                     epoch seconds: the scheduler warned that the walltime ends soon
 *     result.json                 {runId, state, exitCode, signal, task, stopped, warning, startedAt, finishedAt}
 *     scheduler.out|err           the batch script's own stdout and stderr
 *     tasks/<i>/stdout|stderr     each task's output streams
 *     tasks/<i>/output.json       the task's output ($FERRY_OUTPUTS; js: its return value)
 *     tasks/<i>/action.json       the task's action ($FERRY_ACTION)
 *     tasks/<i>/error.json        js and py tasks: {name, message, stack} of the exception
 *     tasks/<i>/stop              created to skip the remaining tasks ($FERRY_STOP)
 *
 * Times written by the wrapper are epoch seconds (POSIX `date +%s`). Everything in a launch dir
 * is untrusted when read back: protocol-files.ts checks each file, read-files.ts bounds the reads.
 */
import { join, posix } from "node:path";

export const PROTOCOL_VERSION = 1;
export const PROTOCOL_DIR = "_ferry";

export function protocolDir(launchDir: string): string {
  return join(launchDir, PROTOCOL_DIR);
}

export function bundlePaths(launchDir: string) {
  const dir = protocolDir(launchDir);
  return {
    dir,
    job: join(dir, "job.json"),
    inputs: join(dir, "inputs.json"),
    env: join(dir, "env.sh"),
    script: join(dir, "run.sh"),
    worker: join(dir, "worker.mjs"),
    pyRunner: join(dir, "ferry_py.py"),
    started: join(dir, "started.json"),
    heartbeat: join(dir, "heartbeat"),
    checkpoint: join(dir, "checkpoint.json"),
    warning: join(dir, "warning"),
    result: join(dir, "result.json"),
    schedulerOut: join(dir, "scheduler.out"),
    schedulerErr: join(dir, "scheduler.err"),
    tasks: join(dir, "tasks"),
    task: (i: number) => {
      const t = join(dir, "tasks", String(i));
      return {
        dir: t,
        stdout: join(t, "stdout"),
        stderr: join(t, "stderr"),
        output: join(t, "output.json"),
        action: join(t, "action.json"),
        error: join(t, "error.json"),
        stop: join(t, "stop"),
      };
    },
  };
}

export type BundlePaths = ReturnType<typeof bundlePaths>;

/** Where py task `index`'s file goes, relative to the protocol folder (posix: it is also a shell word). */
export function pyFileInBundle(file: string, index: number): string {
  return posix.join("py", String(index), posix.basename(file));
}
