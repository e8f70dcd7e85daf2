/** Terminal output: colours (NO_COLOR honoured), tables, durations, JSON. Printing only. */
import type { FlowState, JobState } from "../model/states.ts";

export interface Out {
  color: boolean;
  isTTY: boolean;
  write(text: string): void;
  error(text: string): void;
}

export function makeOut(env = process.env, stdout = process.stdout, stderr = process.stderr): Out {
  const isTTY = stdout.isTTY === true;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const color = !noColor && (env.FORCE_COLOR ? env.FORCE_COLOR !== "0" : isTTY);
  return {
    color,
    isTTY,
    write: (t) => void stdout.write(t),
    error: (t) => void stderr.write(t),
  };
}

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;
export type Color = keyof typeof CODES;

export function paint(out: Pick<Out, "color">, color: Color, text: string): string {
  return out.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

const STATE_COLOR: Partial<Record<JobState | FlowState, Color>> = {
  COMPLETED: "green",
  FAILED: "red",
  RUNNING: "cyan",
  RESERVED: "cyan",
  STAGED: "cyan",
  SUBMITTED: "cyan",
  FINISHED: "cyan",
  READY: "blue",
  WAITING: "gray",
  PAUSED: "yellow",
  HELD: "yellow",
  CANCELLED: "magenta",
  ARCHIVED: "dim",
};

export function paintState(out: Pick<Out, "color">, state: string): string {
  const c = STATE_COLOR[state as JobState];
  return c ? paint(out, c, state) : state;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, "").length;

/** A plain aligned table; cells may hold colour codes. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  out: Pick<Out, "color">,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  return [paint(out, "bold", line(headers)), ...rows.map(line)].join("\n") + "\n";
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function timestamp(ms: number | null): string {
  if (ms === null) return "-";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function ago(ms: number | null, now = Date.now()): string {
  return ms === null ? "-" : `${duration(Math.max(0, now - ms))} ago`;
}

/** A short one-line preview of a JSON value for tables. */
export function preview(value: unknown, max = 40): string {
  if (value === null || value === undefined) return "-";
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
