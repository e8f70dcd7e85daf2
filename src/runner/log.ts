/**
 * The runner's structured log: one entry per step. Every entry goes to a JSON-lines file in the
 * project's state folder (what `ferry runner logs` reads, from any shell, also while the runner
 * runs detached) and, rendered as one human line, to `human` (the terminal of a foreground runner).
 * Writing a log line never throws: a full disk must not stop the runner from advancing jobs.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

export type LogLevel = "info" | "warn" | "error";

export interface LogEntry {
  /** Milliseconds since the epoch. */
  t: number;
  level: LogLevel;
  runner: string;
  /** The worker the step is about (absent for the runner's own steps). */
  worker?: string;
  /** start, lease, probe, collect, submit, backoff, hold, database, stop, ssh … */
  step: string;
  msg: string;
  /** Figures of the step (counts, milliseconds). */
  data?: Record<string, unknown>;
}

export function formatEntry(e: LogEntry): string {
  const when = new Date(e.t)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  const where = e.worker ? ` ${e.worker}` : "";
  const level = e.level === "info" ? "" : ` ${e.level.toUpperCase()}`;
  return `${when}${level}${where} ${e.step}: ${e.msg}`;
}

export class RunnerLog {
  readonly file: string;
  readonly runner: string;
  readonly #human: ((line: string) => void) | undefined;
  #broken = false;

  constructor(file: string, runner: string, human?: (line: string) => void) {
    this.file = file;
    this.runner = runner;
    this.#human = human;
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch {
      this.#broken = true;
    }
  }

  write(
    level: LogLevel,
    step: string,
    msg: string,
    o: { worker?: string; data?: Record<string, unknown> } = {},
  ) {
    const e: LogEntry = {
      t: Date.now(),
      level,
      runner: this.runner,
      ...(o.worker !== undefined ? { worker: o.worker } : {}),
      step,
      msg,
      ...(o.data !== undefined ? { data: o.data } : {}),
    };
    try {
      appendFileSync(this.file, `${JSON.stringify(e)}\n`);
      this.#broken = false;
    } catch {
      this.#broken = true;
    }
    try {
      this.#human?.(formatEntry(e));
    } catch {
      // a closed terminal: the file still has it
    }
    return e;
  }

  info(step: string, msg: string, o?: { worker?: string; data?: Record<string, unknown> }) {
    return this.write("info", step, msg, o);
  }
  warn(step: string, msg: string, o?: { worker?: string; data?: Record<string, unknown> }) {
    return this.write("warn", step, msg, o);
  }
  error(step: string, msg: string, o?: { worker?: string; data?: Record<string, unknown> }) {
    return this.write("error", step, msg, o);
  }

  /** The last write to the file failed. */
  get broken(): boolean {
    return this.#broken;
  }
}
