/**
 * The launcher's side of the task supervisor (supervisor.py): one small Python process per
 * launcher that starts each task with posix_spawn — the task's own process, in its own process
 * group, with its environment, directory and files — and reports when it ends.
 *
 * Why: measured on this 2-core machine, the task shell path (spawner.ts) costs two forks and
 * three execs per task (setsid, the task shell, the task's sh): about 5–6 ms under load, where
 * posix_spawn of `sh -c true` from Python takes 0.9 ms and Node's own spawn from a 118 MB
 * launcher 4.9 ms. Python's start (about 20 ms) is paid once per launcher, in parallel with the
 * launcher's own start. Where no `python3` runs, the launcher falls back to the task shell.
 *
 * A supervisor that dies (killed) leaves its tasks running without a parent that can report
 * them: their pids are polled, and a task gone without a word ended on a signal (137).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { codeFile } from "../package-files.ts";
import { localProcessAlive } from "../transport/local.ts";
import { supervisorMarker } from "./supervisor-marker.ts";

/** What starts one task: its process, what it is handed to when the launcher is gone. */
export interface SupervisedTask {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdout: string;
  stderr: string;
  handover: { script: string; task: number; started: number; out: string; err: string; cwd: string };
}

export interface TaskEnd {
  code: number;
  /** A TERM/INT/HUP/XCPU the supervisor caught (a batch system signalling the whole job). */
  signal: string | null;
  /** Why the task could not be started (then `code` is 127). */
  error?: string;
}

interface Pending {
  /** `FERRY_RUN_ID=…` and `FERRY_TASK=…`: how the task is found when its pid never came. */
  env: [string, string];
  onStart: (pid: number) => void;
  onExit: (end: TaskEnd) => void;
  pid?: number;
  gone?: number;
}

let script: string | undefined;

/**
 * The python that runs the supervisor: FERRY_SUPERVISOR_PYTHON if set, else the system's
 * python3 (only the standard library is needed), else whatever PATH finds.
 */
export function systemPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FERRY_SUPERVISOR_PYTHON) return env.FERRY_SUPERVISOR_PYTHON;
  return (
    ["/usr/bin/python3", "/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p)) ?? "python3"
  );
}

export class TaskSupervisor {
  readonly #py: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #buffer = "";
  #dead = false;
  #ready: ((ok: boolean) => void) | undefined;
  readonly #poll: NodeJS.Timeout;
  pid = 0;

  /**
   * A running supervisor, or null when `python` cannot run it (not installed, too old: it
   * needs os.posix_spawn, Python ≥ 3.8). `python` defaults to the system's own (a `python3` on
   * PATH may be a shim: pyenv's takes 100+ ms and several processes to start one).
   */
  static async start(
    python: string = systemPython(),
    o: { leaseOwner: string; killGraceMs: number },
  ): Promise<TaskSupervisor | null> {
    const s = new TaskSupervisor(python, o);
    return (await s.#started) ? s : null;
  }

  readonly #started: Promise<boolean>;

  private constructor(python: string, o: { leaseOwner: string; killGraceMs: number }) {
    script ??= readFileSync(codeFile("launcher/supervisor.py"), "utf8");
    this.#started = new Promise<boolean>((resolve) => {
      this.#ready = resolve;
    });
    // -I: no user site, no PYTHON* variables; -S: no site module (a faster start)
    this.#py = spawn(
      python,
      ["-I", "-S", "-c", script, supervisorMarker(o.leaseOwner), String(o.killGraceMs / 1000)],
      { stdio: ["pipe", "pipe", "inherit"], detached: true }, // a terminal's Ctrl+C reaches the launcher only
    );
    this.#py.unref();
    this.#py.stdout!.setEncoding("utf8");
    this.#py.stdout!.on("data", (d: string) => this.#read(d));
    this.#py.stdin!.on("error", () => {});
    this.#py.stdin!.write(`${JSON.stringify({ base: process.env })}\n`);
    this.#py.on("error", () => this.#gone());
    this.#py.on("close", () => this.#gone()); // after its last line was read
    this.#poll = setInterval(() => this.#check(), 500);
    this.#poll.unref();
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /** Start a task; resolves when it ended. `onStart` gets its pid (its process group). */
  run(task: SupervisedTask, onStart: (pid: number) => void): Promise<TaskEnd> {
    return new Promise<TaskEnd>((resolve) => {
      if (this.#dead) return resolve({ code: 127, signal: null, error: "the task supervisor is gone" });
      const id = this.#nextId++;
      const env: [string, string] = [
        `FERRY_RUN_ID=${task.env.FERRY_RUN_ID}`,
        `FERRY_TASK=${task.env.FERRY_TASK}`,
      ];
      this.#pending.set(id, { env, onStart, onExit: resolve });
      const { stdout: out, stderr: err, ...rest } = task;
      this.#py.stdin!.write(`${JSON.stringify({ id, ...rest, out, err })}\n`);
    });
  }

  #read(data: string): void {
    this.#buffer += data;
    for (let nl = this.#buffer.indexOf("\n"); nl >= 0; nl = this.#buffer.indexOf("\n")) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const [what, a, b, c] = line.split(" ");
      if (what === "ready") {
        this.pid = Number(a);
        this.#ready?.(true);
        continue;
      }
      const p = this.#pending.get(Number(a));
      if (!p) continue;
      if (what === "started") {
        p.pid = Number(b);
        p.onStart(p.pid);
      } else if (what === "exit") {
        this.#pending.delete(Number(a));
        p.onExit({ code: Number(b), signal: c === undefined || c === "-" ? null : c });
      } else if (what === "error") {
        this.#pending.delete(Number(a));
        let error = "cannot start the task";
        try {
          error = String(JSON.parse(line.slice(`error ${a} `.length)));
        } catch {
          // keep the generic message
        }
        p.onExit({ code: 127, signal: null, error });
      }
    }
  }

  #gone(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#ready?.(false);
    this.#check();
  }

  /** Only once the supervisor is gone: nobody can report its tasks — a task gone ended on a signal. */
  #check(): void {
    if (!this.#dead) return;
    for (const [id, p] of this.#pending) {
      if (p.pid === undefined) {
        // killed between starting the task and saying so (a task can kill its parent at once)
        const pid = findGroupLeader(p.env);
        if (pid !== null) {
          p.pid = pid;
          p.onStart(pid);
          continue;
        }
        this.#pending.delete(id);
        p.onExit({ code: 137, signal: null });
      } else if (!localProcessAlive(p.pid)) {
        // twice in a row, as a last `exit` line may still be on its way
        p.gone = (p.gone ?? 0) + 1;
        if (p.gone < 2) continue;
        this.#pending.delete(id);
        p.onExit({ code: 137, signal: null });
      }
    }
    if (this.#pending.size === 0) clearInterval(this.#poll);
  }

  /** No more tasks: the supervisor ends once it has none running. */
  close(): void {
    if (this.#pending.size === 0) clearInterval(this.#poll);
    this.#py.stdin!.end();
  }
}

/** A live process-group leader whose environment holds both words (Linux /proc), or null. */
function findGroupLeader(words: [string, string]): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[2] !== e || fields[0] === "Z") continue; // pgrp is the 5th field; a zombie is gone
      const env = readFileSync(`/proc/${e}/environ`, "utf8").split("\0");
      if (env.includes(words[0]) && env.includes(words[1])) return Number(e);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}
