/**
 * What the runner tests share: a flow of sh and js jobs with references, its expected total, a
 * condition wait, and `ferry runner start --foreground` under a pseudo-terminal (util-linux
 * `script`), so that ssh's one-time-code prompt reaches a terminal exactly as a person sees it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { FERRY_MAIN } from "./cli.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A managed worker on this machine (shell scheduler), with short intervals for tests. */
export const managedLocal = (extra: Record<string, unknown> = {}) => ({
  hpc: {
    mode: "managed",
    scheduler: "shell",
    workDir: "runs",
    heartbeatSeconds: 1,
    statusIntervalSeconds: 0.5,
    cycleSeconds: 0.5,
    node: process.execPath,
    ...extra,
  },
});

/** setup → five samples (js and sh) → sum (js) → twice (py): references across every kind. */
export const FLOW = `name: seven
jobs:
  - name: setup
    sh: |
      echo '{"base": 3}' > "$FERRY_OUTPUTS"
${[0, 1, 2, 3, 4]
  .map((i) =>
    i % 2 === 0
      ? `  - {name: s${i}, parents: [setup], inputs: {x: "\${{ setup.base }}", i: ${i}}, js: ./tasks.mjs#square}`
      : `  - name: s${i}\n    parents: [setup]\n    inputs: {x: "\${{ setup.base }}", i: ${i}}\n    sh: |\n      echo "{\\"value\\": $((FERRY_IN_x * FERRY_IN_x + FERRY_IN_i))}" > "$FERRY_OUTPUTS"`,
  )
  .join("\n")}
  - name: sum
    parents: [s0, s1, s2, s3, s4]
    inputs: {values: [${[0, 1, 2, 3, 4].map((i) => `"\${{ s${i}.value }}"`).join(", ")}]}
    js: ./tasks.mjs#sum
  - {name: twice, parents: [sum], inputs: {t: "\${{ sum.total }}"}, py: twice.py:twice}
`;
export const FLOW_JOBS = 8;

/** The py task of FLOW (a file target: it travels in the bundle). */
export const PY_TASKS = "def twice(t):\n    return {'twice': 2 * t}\n";

export const TASKS = `export const square = ({ x, i }) => ({ value: x * x + i });
export const sum = ({ values }) => ({ total: values.reduce((a, b) => a + b, 0) });
export async function probe({ host, port }) {
  const net = await import("node:net");
  const reached = await new Promise((resolve) => {
    const s = net.connect(port, host);
    s.setTimeout(3000, () => { s.destroy(); resolve("timeout"); });
    s.once("connect", () => { s.destroy(); resolve("connected"); });
    s.once("error", (e) => resolve(e.code));
  });
  return { reached };
}
`;
/** 5 × 9 + (0 + … + 4) */
export const TOTAL = 5 * 9 + 10;

export async function waitFor(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface PtyFerry {
  child: ChildProcessWithoutNullStreams;
  /** Everything the terminal showed so far. */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Answer every `prompt` with `answer` (typed at the terminal); returns how many were answered. */
  answered(): number;
}

/** `ferry <args>` in a pseudo-terminal (cwd `cwd`); prompts matching `prompt` get `answer`. */
export function ferryInPty(
  args: readonly string[],
  o: { cwd: string; prompt?: RegExp; answer?: string; env?: Record<string, string | undefined> },
): PtyFerry {
  const line = [process.execPath, FERRY_MAIN, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(" ");
  const child = spawn("script", ["-qfec", line, "/dev/null"], {
    cwd: o.cwd,
    env: { ...process.env, NO_COLOR: "1", FERRY_PROJECT: undefined, FERRY_DATABASE_URL: undefined, ...o.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let answered = 0;
  let seen = 0;
  const onData = (c: Buffer) => {
    out += c.toString("utf8");
    if (!o.prompt) return;
    const all = [...out.matchAll(new RegExp(o.prompt.source, "g"))].length;
    while (seen < all) {
      seen++;
      answered++;
      child.stdin.write(`${o.answer ?? ""}\r`);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited, answered: () => answered };
}
