/**
 * The three tools driven as a user drives them, each in a fresh folder per measurement:
 * ferry (its CLI, SQLite), FireWorks 2.1.4 (`lpad`, `rlaunch`, on mongomock with its
 * persistence file) and jobflow 0.4.0 (`run_locally`). Every command is timed by measure.py,
 * the same way for all; state edits before a timed step are setup, never timed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import { removeAtEnd } from "../common.ts";
import { type FlowKind, ferryFlow } from "./flows.ts";
import { PEERS_DIR } from "./venv.ts";

export interface Measured {
  seconds: number;
  maxRssKb: number;
}

function output(
  argv: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // its own process group: a timeout kills the measured command too, not only measure.py
    // (a stopped `lpad rerun_fws` went on for minutes, loading the next benchmark's machine)
    const c = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-c.pid!, "SIGKILL");
      } catch {
        c.kill("SIGKILL");
      }
    }, timeoutMs);
    c.on("error", reject);
    c.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${argv.slice(0, 4).join(" ")} … ${signal ? `killed (${signal})` : `exited ${code}`}\n${err.slice(-2000)}`,
          ),
        );
    });
  });
}

export class Tools {
  readonly #python: string;
  readonly #bin: string;
  readonly #root: string;
  /** The `ferry` command's bin/ferry.mjs (bench/common.ts `ferryCommand`). */
  readonly ferry: string;
  constructor(bin: string, root: string, ferry: string) {
    this.#bin = bin;
    this.#python = join(bin, "python");
    this.#root = root;
    this.ferry = ferry;
  }

  folder(prefix: string): { dir: string; dispose(): void } {
    mkdirSync(this.#root, { recursive: true });
    const dir = mkdtempSync(join(this.#root, prefix));
    return { dir, dispose: () => removeAtEnd(dir) };
  }

  /** `argv` timed by measure.py; a time limit turns into a thrown error. */
  async measure(
    argv: readonly string[],
    cwd: string,
    env: NodeJS.ProcessEnv = process.env,
    timeoutMs = 600_000,
  ): Promise<Measured> {
    const out = await output([this.#python, join(PEERS_DIR, "measure.py"), ...argv], cwd, env, timeoutMs);
    const m = JSON.parse(out) as Measured & { code: number };
    if (m.code !== 0) throw new Error(`${argv.join(" ")} exited ${m.code}`);
    return m;
  }

  py(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
    return output([this.#python, ...args], cwd, env, 600_000);
  }

  bin(name: string): string {
    return join(this.#bin, name);
  }
}

/** A ferry project on SQLite, with one flow added (not timed). */
export class FerryProject {
  readonly dir: string;
  readonly #tools: Tools;
  constructor(tools: Tools, dir: string) {
    this.#tools = tools;
    this.dir = dir;
    writeFileSync(
      join(dir, "ferry.yaml"),
      "database:\n  sqlite: .ferry/ferry.db\nworkers:\n  local: {mode: pull, workDir: runs}\n",
    );
  }

  write(kind: FlowKind, n: number): void {
    writeFileSync(join(this.dir, "flow.json"), ferryFlow(kind, n));
  }

  run(args: readonly string[]): Promise<Measured> {
    return this.#tools.measure([process.execPath, this.#tools.ferry, ...args], this.dir);
  }

  async count(state: string): Promise<number> {
    await using store = await openStore({ kind: "sqlite", path: join(this.dir, ".ferry", "ferry.db") });
    return (await store.countByState())[state as "READY"] ?? 0;
  }

  /** Setup for the DAG steps, in SQL: the gather job READY with its 500 parents done, or every job done. */
  async set(mode: "gather-ready" | "all-completed"): Promise<number> {
    await using store = await openStore({ kind: "sqlite", path: join(this.dir, ".ferry", "ferry.db") });
    if (mode === "all-completed")
      await store.db.run("UPDATE jobs SET state = 'COMPLETED', unfinished_parents = 0");
    else {
      await store.db.run(
        "UPDATE jobs SET state = 'COMPLETED', unfinished_parents = 0 WHERE name = 'root' OR name GLOB 'w[0-9]*'",
      );
      await store.db.run("UPDATE jobs SET state = 'READY', unfinished_parents = 0 WHERE name = 'gather'");
    }
    const root = await store.db.get<{ id: number }>("SELECT id FROM jobs WHERE name = 'root'");
    return Number(root!.id);
  }
}

/** A FireWorks launchpad on mongomock's persistence file, reset, with one workflow file written. */
export class FireworksProject {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly #tools: Tools;
  constructor(tools: Tools, dir: string) {
    this.#tools = tools;
    this.dir = dir;
    const db = join(dir, "mongomock.json");
    writeFileSync(db, "{}");
    this.env = { ...process.env, MONGOMOCK_SERVERSTORE_FILE: db, PYTHONWARNINGS: "ignore" };
  }

  static password(): string {
    return new Date().toISOString().slice(0, 10);
  }

  async reset(kind: FlowKind, n: number): Promise<void> {
    await this.#tools.measure(
      [this.#tools.bin("lpad"), "reset", "--password", FireworksProject.password()],
      this.dir,
      this.env,
    );
    await this.#tools.py(
      [join(PEERS_DIR, "fireworks_flow.py"), "write", "wf.json", kind, String(n)],
      this.dir,
      this.env,
    );
  }

  run(command: "lpad" | "rlaunch", args: readonly string[], timeoutMs?: number): Promise<Measured> {
    return this.#tools.measure([this.#tools.bin(command), ...args], this.dir, this.env, timeoutMs);
  }

  async helper(args: readonly string[]): Promise<string> {
    return (await this.#tools.py([join(PEERS_DIR, "fireworks_flow.py"), ...args], this.dir, this.env)).trim();
  }

  async count(state: string): Promise<number> {
    return Number(await this.helper(["count", state]));
  }
}

/** jobflow's `run_locally`, timed inside its own process (it has no database and no add step). */
export async function jobflowSeconds(
  tools: Tools,
  dir: string,
  kind: "independent" | "chain",
  n: number,
): Promise<number> {
  const out = await tools.py(["-W", "ignore", join(PEERS_DIR, "jobflow_run.py"), kind, String(n)], dir);
  return (JSON.parse(out) as { seconds: number }).seconds;
}
