/**
 * Commands in a network namespace with no network, sharing the host's filesystem: a firewalled
 * compute node that sees the shared disk but reaches no server, not even the host's loopback
 * (`unshare -n` gives a namespace with only a down loopback). `unshare -n` needs root (or CAP_SYS_ADMIN).
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface RunIsolatedOptions {
  cwd?: string;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  /** Then the whole process group is killed and `timedOut` is true. */
  timeoutMs?: number;
}

export interface IsolatedResult {
  /** null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface SpawnIsolatedOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Truncated and written like a batch job's output file; discarded when absent. */
  stdoutPath?: string;
  stderrPath?: string;
}

// The namespace gets its own loopback, brought up so that programs inside may still talk to
// themselves on 127.0.0.1 as on a real node; the host's loopback is another interface and stays out
// of reach. Without `ip` the loopback stays down, which isolates just as well. unshare (without
// --fork) and `exec` replace the process in place, so the spawned pid is the command's own.
const ENTER = ["-n", "--", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "ferry-netns"];

let available: Promise<boolean> | undefined;

export function netnsAvailable(): Promise<boolean> {
  available ??= new Promise((resolve) =>
    execFile("unshare", ["-n", "--", "true"], (error) => resolve(!error)),
  );
  return available;
}

export function runIsolated(argv: string[], options: RunIsolatedOptions = {}): Promise<IsolatedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", [...ENTER, ...argv], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a timeout also ends whatever the command started.
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(child.pid, "SIGKILL");
          }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut });
    });
  });
}

/**
 * Starts `argv` in a namespace of its own and returns at once, as a batch system starts a job:
 * a new session (the pid is also its process-group id, so `process.kill(-pid, signal)` reaches
 * everything it started), output to files, and nothing that keeps this process alive. The caller
 * ends it; a process that has exited but not been reaped yet shows as a zombie in /proc.
 */
export function spawnIsolatedDetached(argv: string[], options: SpawnIsolatedOptions = {}): Promise<number> {
  const out = options.stdoutPath === undefined ? "ignore" : openSync(options.stdoutPath, "w");
  const err = options.stderrPath === undefined ? "ignore" : openSync(options.stderrPath, "w");
  try {
    const child = spawn("unshare", [...ENTER, ...argv], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", out, err],
      detached: true,
    });
    child.unref();
    return new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolve(child.pid!));
    });
  } finally {
    if (typeof out === "number") closeSync(out);
    if (typeof err === "number") closeSync(err);
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
