/**
 * Terminal output: colours (NO_COLOR honoured), tables, durations, JSON — and the one function
 * that makes text from a job, a flow or a run safe to print. Flow names, job names, metadata,
 * errors and paths come from users and compute nodes: an ESC in one must not recolour, move the
 * cursor or retitle the terminal (issue #8), so every printer goes through `safe`, `fmt`,
 * `table` or `preview`, which show control characters as escapes.
 */

export interface Out {
  color: boolean;
  isTTY: boolean;
  write(text: string): void;
  error(text: string): void;
}

export function makeOut(
  env: Readonly<Record<string, string | undefined>>,
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Out {
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

const NAMED: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\x08": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\v": "\\v",
  "\f": "\\f",
  "\r": "\\r",
  "\x1b": "\\e",
  "\\": "\\\\",
};

// C0 controls, DEL, C1 controls (U+0080–U+009F: 8-bit CSI and OSC), and the bidirectional
// overrides that reorder what a line shows (CVE-2021-42574, "Trojan Source"). A backslash is
// doubled only where escapes appear, so `a\b` stays readable.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\\]/g;

/** `text` with every control character shown as an escape (`\e`, `\r`, `\x9b`, `\u202e`). */
export function safe(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Text already made safe (and perhaps coloured): `fmt` and `table` pass it through. */
export class Styled {
  readonly text: string;
  readonly width: number;
  constructor(text: string, width: number) {
    this.text = text;
    this.width = width;
  }
  toString(): string {
    return this.text;
  }
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

/** `text` made safe, in a colour when the output has colours. */
export function paint(out: Pick<Out, "color">, color: Color, text: string | Styled): Styled {
  const s = text instanceof Styled ? text.text : safe(text);
  const width = text instanceof Styled ? text.width : s.length;
  return new Styled(out.color ? `\x1b[${CODES[color]}m${s}\x1b[0m` : s, width);
}

const STATE_COLOR: ReadonlyMap<string, Color> = new Map([
  ["COMPLETED", "green"],
  ["FAILED", "red"],
  ["RUNNING", "cyan"],
  ["RESERVED", "cyan"],
  ["STAGED", "cyan"],
  ["SUBMITTED", "cyan"],
  ["FINISHED", "cyan"],
  ["READY", "blue"],
  ["WAITING", "gray"],
  ["PAUSED", "yellow"],
  ["HELD", "yellow"],
  ["CANCELLED", "magenta"],
  ["LOST", "red"],
  ["INTERRUPTED", "yellow"],
  ["ARCHIVED", "dim"],
]);

export function paintState(out: Pick<Out, "color">, state: string): Styled {
  const c = STATE_COLOR.get(state);
  return c ? paint(out, c, state) : new Styled(safe(state), safe(state).length);
}

/** A template tag: every interpolated value is made safe, except Styled ones. */
export function fmt(strings: TemplateStringsArray, ...values: unknown[]): string {
  let s = strings[0] ?? "";
  values.forEach((v, i) => {
    s += v instanceof Styled ? v.text : safe(String(v));
    s += strings[i + 1] ?? "";
  });
  return s;
}

export type Cell = string | Styled;

const cellText = (c: Cell) => (c instanceof Styled ? c.text : safe(c));
const cellWidth = (c: Cell) => (c instanceof Styled ? c.width : safe(c).length);

/** A plain aligned table; string cells are made safe, Styled ones kept as they are. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  out: Pick<Out, "color">,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => cellWidth(r[i] ?? ""))));
  const line = (cells: readonly Cell[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? cellText(c) : cellText(c) + " ".repeat(widths[i]! - cellWidth(c)),
      )
      .join("  ")
      .trimEnd();
  return [paint(out, "bold", line(headers)).text, ...rows.map(line)].join("\n") + "\n";
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** 0.004s, 0.35s, 12.3s, 4m05s, 2h10m: sub-second runs keep their precision. */
export function duration(ms: number): string {
  if (ms < 10) return `${(ms / 1000).toFixed(3)}s`;
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
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

/** How long ago, at the precision a person reads: 4s ago, 12m ago, 3h ago, 2d ago. */
export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return "-";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** A short one-line, safe preview of a JSON value for tables. */
export function preview(value: unknown, max = 40): string {
  if (value === null || value === undefined) return "-";
  const s = safe(JSON.stringify(value) ?? String(value));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Lists are shown in full up to this many items; beyond, a count and where the full list is. */
export const LISTED = 20;

/** "a#1, b#2" — or the first LISTED and "… and 9,979 more (--json lists them all)". */
export function listJobs(
  jobs: readonly { id: number; name: string; state?: string }[],
  o: { max?: number; states?: boolean } = {},
): string {
  const max = o.max ?? LISTED;
  const shown = jobs
    .slice(0, max)
    .map((j) => `${safe(j.name)}#${j.id}${o.states && j.state ? ` (${j.state})` : ""}`);
  if (jobs.length <= max) return shown.join(", ");
  return `${shown.join(", ")}, … and ${(jobs.length - max).toLocaleString("en-US")} more (--json lists them all)`;
}
