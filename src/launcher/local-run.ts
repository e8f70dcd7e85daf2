/**
 * Run one claimed job on this machine through the same bundle a compute node would get: write
 * the bundle, start `sh run.sh` in its own process group (so a terminal's Ctrl+C reaches only
 * the launcher, which decides what to do with running jobs), wait, and collect result.json.
 * One protocol for pull, offline and managed runs means one set of semantics for inputs,
 * outputs, checkpoints and signals.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { collectOutcome, type RunFiles, readRunFiles } from "../bundle/collect.ts";
import type { BundlePaths, bundlePaths } from "../bundle/layout.ts";
import { runScope } from "../bundle/protocol-files.ts";
import { writeBundle } from "../bundle/write.ts";
import type { ClaimedRun } from "../engine/claim.ts";
import { outcomeFromBundle, type RunOutcome } from "../engine/outcome.ts";
import { errorMessage } from "../model/errors.ts";
import type { Transport } from "../transport/types.ts";
import type { TaskSpawner } from "./spawner.ts";
import { cleanWord, SupervisedRun } from "./supervise.ts";
import type { TaskSupervisor } from "./supervisor.ts";

export interface LocalRunOptions {
  env: Readonly<Record<string, string>>;
  preRun?: string;
  node: string;
  python: string;
  cacheDir: string | null;
  /** Called with the wrapper's pid once it started (to signal it on interrupt). */
  onStart?: (pid: number) => void;
  /**
   * Supervise the tasks in this process (supervise.ts) instead of through run.sh; not used when
   * a preRun is set (its shell lines shape the environment of the tasks that follow them).
   */
  supervise?: {
    launcherPid: number;
    host: string;
    schedulerJobId: string;
    killGraceMs: number;
    spawner?: TaskSpawner | null;
    supervisor?: TaskSupervisor | null;
  };
  /** Receives the handle that stops the run (TERM, recorded) and relays a walltime warning. */
  onControl?: (control: RunControl) => void;
}

/** What a launcher can do to a running job: stop it (run.sh's TERM trap) or warn it (USR1). */
export interface RunControl {
  stop(): void;
  warn(): void;
}

function failed(reason: "bundle" | "lost", message: string, finishedAt = Date.now()): RunOutcome {
  return {
    state: "FAILED",
    outputs: null,
    actions: [],
    error: { message, stack: null, exitCode: null, signal: null, task: null, reason },
    exitCode: null,
    checkpoint: null,
    finishedAt,
  };
}

/** `local` is this machine's transport: the wrapper is spawned here, its files are read here. */
export async function runLocally(
  local: Transport,
  claim: ClaimedRun,
  options: LocalRunOptions,
): Promise<RunOutcome> {
  let paths: ReturnType<typeof bundlePaths>;
  try {
    paths = await writeBundle(local, {
      launchDir: claim.launchDir,
      runId: claim.runId,
      attempt: claim.attempt,
      job: claim.job,
      inputs: claim.inputs,
      recovery: claim.recovery,
      heartbeatSeconds: 0, // the launcher holds the run's lease in the database instead
      env: options.env,
      ...(options.preRun ? { preRun: options.preRun } : {}),
      node: options.node,
      python: options.python,
      cacheDir: options.cacheDir,
      copyFrom: claim.recovery?.dirMode === "copy" ? claim.recovery.previousDir : null,
    });
  } catch (e) {
    return failed("bundle", `cannot write the job bundle in ${claim.launchDir}: ${errorMessage(e)}`);
  }
  if (options.supervise && !options.preRun && !claim.job.preRun)
    return supervised(local, claim, paths, options, options.supervise);
  const out = openSync(paths.schedulerOut, "w");
  const err = openSync(paths.schedulerErr, "w");
  // the wrapper's clock has whole seconds (POSIX `date +%s`); the launcher watching the process
  // times it to the millisecond, so a 0.3 s run does not show as "0ms" or "1s"
  const spawnedAt = Date.now();
  const exit = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    const child = spawn("sh", [paths.script], {
      detached: true,
      stdio: ["ignore", out, err],
      cwd: claim.launchDir,
    });
    child.on("error", (error) => resolve({ code: null, signal: null, error }));
    child.on("spawn", () => {
      const pid = child.pid!;
      options.onStart?.(pid);
      options.onControl?.({
        stop: () => void local.signal(pid, "SIGTERM"),
        warn: () => void local.signal(pid, "SIGUSR1"),
      });
    });
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  const exitedAt = Date.now();
  closeSync(out);
  closeSync(err);
  if (exit.error) return failed("bundle", `cannot start sh: ${exit.error.message}`);
  const files = await readRunFiles(local, claim.launchDir, claim.runId, runScope(claim.job, claim.recovery));
  if (!files.result) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const problems = files.problems.length > 0 ? ` (${files.problems.join("; ")})` : "";
    return failed(
      "lost",
      `the job wrapper ${how} without writing a result${problems}; see ${paths.schedulerErr}`,
    );
  }
  const outcome = outcomeFromBundle(
    files,
    await collectOutcome(local, claim.launchDir, files.result, claim.job.tasks, claim.recovery),
  );
  return { ...outcome, startedAt: spawnedAt, finishedAt: exitedAt };
}

/** The in-process path: the same files as run.sh's, the outcome collected from them. */
async function supervised(
  local: Transport,
  claim: ClaimedRun,
  paths: BundlePaths,
  options: LocalRunOptions,
  o: NonNullable<LocalRunOptions["supervise"]>,
): Promise<RunOutcome> {
  const run = new SupervisedRun(claim, paths, {
    launcherPid: o.launcherPid,
    host: cleanWord(o.host, /^[A-Za-z0-9._-]+$/),
    schedulerJobId: cleanWord(o.schedulerJobId, /^[A-Za-z0-9._:@-]*$/),
    node: options.node,
    python: options.python,
    killGraceMs: o.killGraceMs,
    spawner: o.spawner ?? null,
    supervisor: o.supervisor ?? null,
    env: options.env,
    ...(options.onStart ? { onStart: options.onStart } : {}),
  });
  options.onControl?.({ stop: () => run.signal("TERM"), warn: () => run.warn() });
  const spawnedAt = Date.now();
  const result = await run.run();
  const exitedAt = Date.now();
  const files: RunFiles = {
    started: run.started,
    heartbeat: null,
    checkpoint: null,
    warning: result.warning ? result.finishedAt : null,
    result,
    resultInvalid: false,
    problems: [],
  };
  const outcome = outcomeFromBundle(
    files,
    await collectOutcome(local, claim.launchDir, result, claim.job.tasks, claim.recovery),
  );
  return { ...outcome, startedAt: spawnedAt, finishedAt: exitedAt };
}
