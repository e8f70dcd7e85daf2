/**
 * The SIGKILL trial of test/runner-sigkill*.test.ts (issue 9, acceptance): the runner killed with
 * SIGKILL again and again, each time at a different step — before it registers, right after, after taking the worker's lease, while a
 * bundle is being written, between staging and submitting, just before and just after the
 * scheduler accepts a submission (the runner never hears the job id), after the status call,
 * with results waiting, after each logged step, while backing off from a failed scheduler call,
 * during a graceful stop, and at random moments. A new runner is started each time; at the end
 * every job is COMPLETED, each ran once, and the scheduler accepted exactly one submission per
 * job (counted by a wrapper around the shell scheduler's commands, the worker's commandPrefix).
 * The same trial runs on a local worker and on one reached over SSH.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { ferry, spawnFerry } from "./cli.ts";
import { type CallKind, type CallPoint, schedulerFaults } from "./faults.ts";
import { testProject } from "./project.ts";
import { waitFor } from "./runner.ts";
import { type DialectCase, dialects } from "./stores.ts";

const PARENTS = 60;
const CHILDREN = 10;
const JOBS = PARENTS + CHILDREN;

/** 60 jobs of 1–2.5 s, then 10 that add two of their outputs each (references). */
function flow(marks: string): string {
  const mark = `echo "$FERRY_JOB_ID" >> '${marks}'`;
  const parents = Array.from(
    { length: PARENTS },
    (_, i) =>
      `  - name: j${i}\n    sh: |\n      sleep ${(1 + (i % 4) * 0.5).toFixed(1)}\n      ${mark}\n      echo '{"v": ${i}}' > "$FERRY_OUTPUTS"`,
  );
  const children = Array.from(
    { length: CHILDREN },
    (_, k) =>
      `  - name: k${k}\n    parents: [j${2 * k}, j${2 * k + 1}]\n    inputs: {a: "\${{ j${2 * k}.v }}", b: "\${{ j${2 * k + 1}.v }}"}\n    sh: |\n      ${mark}\n      echo "{\\"s\\": $((FERRY_IN_a + FERRY_IN_b))}" > "$FERRY_OUTPUTS"`,
  );
  return `name: kills\njobs:\n${[...parents, ...children].join("\n")}\n`;
}

/** Where a runner is killed: by the scheduler wrapper at a call, or by the test on a condition. */
type Point =
  | { name: string; call: CallKind; when: CallPoint; skip?: number }
  | { name: string; afterMs: number }
  | { name: string; log: string; stop?: boolean }
  | { name: string; fs: "launch-dir" | "result" }
  | { name: string; db: "STAGED" };

const trace = (msg: string) => {
  if (process.env.FERRY_TEST_TRACE) process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
};
/** Polls `cond` every 5 ms (a trigger must be seen at once: the runner moves on). */
async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const rand = (lo: number, hi: number) => Math.round(lo + Math.random() * (hi - lo));

const POINTS: Point[] = [
  { name: "right after spawn (before it registers)", afterMs: 150 },
  { name: "registered, before its first cycle", log: "start" },
  { name: "lease taken, before the probe", log: "lease" },
  { name: "just before a submission", call: "submit", when: "before" },
  { name: "just before a name lookup (reconciling)", call: "lookup", when: "before" },
  { name: "name lookup answered, nothing recorded", call: "lookup", when: "after" },
  { name: "scheduler accepted a submission, runner not told", call: "submit", when: "after" },
  { name: "while a bundle is written (launch dir appears)", fs: "launch-dir" },
  { name: "staged, not yet submitted", db: "STAGED" },
  { name: "after the second submission of its life", call: "submit", when: "after", skip: 1 },
  { name: "after the submit step was logged", log: "submit" },
  { name: "just before the status call (collect)", call: "status", when: "before" },
  { name: "status read, nothing recorded", call: "status", when: "after" },
  { name: "results waiting in a launch dir", fs: "result" },
  { name: "after the collect step was logged", log: "collect" },
  { name: "backing off after a failed status call", call: "status", when: "fail" },
  { name: "during a graceful stop (ferry runner stop)", log: "stop", stop: true },
  { name: "random moment A", afterMs: rand(300, 900) },
  { name: "random moment B", afterMs: rand(900, 1500) },
  { name: "random moment C", afterMs: rand(1500, 2200) },
  { name: "random moment D", afterMs: rand(2200, 3000) },
  { name: "random moment E", afterMs: rand(3000, 4000) },
  { name: "after the third submission of its life", call: "submit", when: "after", skip: 2 },
  { name: "before the second status call of its life", call: "status", when: "before", skip: 1 },
];

interface Entry {
  t: number;
  runner: string;
  step: string;
  msg: string;
}

export interface TrialSetup {
  /** The managed worker, given the scheduler wrapper (its commandPrefix). */
  worker: (commandPrefix: string[]) => Record<string, unknown>;
  /** A folder the worker's side can write (the wrapper's plan, its logs; the executions). */
  sharedDir: string;
  /** The worker's workDir as this machine sees it (the test watches it). */
  runsDir: (projectDir: string) => string;
}

/** Runs the trial; what it did goes to the test's diagnostic (each kill, its step, its moment). */
export async function sigkillTrial(ctx: TestContext, o: TrialSetup): Promise<void> {
  const d: DialectCase = dialects()[0]!;
  {
    const f = schedulerFaults(o.sharedDir);
    await using p = await testProject(
      d,
      {},
      {
        workers: { hpc: o.worker(f.prefix) },
        runner: { leaseSeconds: 4, backoffSeconds: 1, backoffMaxSeconds: 2 },
      },
    );
    const marks = join(o.sharedDir, "marks");
    p.file("flow.yaml", flow(marks));
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const logFile = join(p.dir, ".ferry", "runner", "runner.jsonl");
    const runsDir = o.runsDir(p.dir);
    const entries = (from: number): Entry[] =>
      existsSync(logFile)
        ? readFileSync(logFile, "utf8")
            .slice(from)
            .split("\n")
            .filter((l) => l.length > 0)
            .flatMap((l) => {
              try {
                return [JSON.parse(l) as Entry];
              } catch {
                return []; // a line being written
              }
            })
        : [];
    /** Every folder under the worker's workDir, and those holding a result.json. */
    const scan = (): { dirs: Set<string>; results: Set<string> } => {
      const dirs = new Set<string>();
      const results = new Set<string>();
      const walk = (dir: string, depth: number) => {
        for (const n of readdirSync(dir, { withFileTypes: true })) {
          const full = join(dir, n.name);
          if (n.name === "result.json") results.add(dir);
          if (!n.isDirectory() || depth > 5) continue;
          dirs.add(full);
          walk(full, depth + 1);
        }
      };
      if (existsSync(runsDir)) walk(runsDir, 0);
      return { dirs, results };
    };
    const completed = () => p.store.countJobs({ states: ["COMPLETED"] });

    const kills: { point: string; ms: number; lastStep: string; done: number }[] = [];
    const missed: string[] = [];
    const t0 = Date.now();
    for (const point of POINTS) {
      if ((await completed()) === JOBS) break;
      const from = existsSync(logFile) ? readFileSync(logFile, "utf8").length : 0;
      const before = scan();
      const firedBefore = f.fired().length;
      if ("call" in point) f.plan(point.call, point.when, point.skip);
      const started = Date.now();
      const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
      let out = "";
      runner.stdout.on("data", (c) => (out += c));
      runner.stderr.on("data", (c) => (out += c));
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      runner.once("exit", (code, signal) => {
        exit = { code, signal };
      });
      const kill = () => {
        if (runner.exitCode === null && runner.signalCode === null) runner.kill("SIGKILL");
      };
      let fired = false;
      let stopAsked = false;
      try {
        const reached = async (): Promise<boolean> => {
          if (exit !== undefined) return true;
          if ("afterMs" in point) {
            if (Date.now() - started < point.afterMs) return false;
          } else if ("log" in point) {
            const mine = entries(from);
            if (point.stop && !stopAsked && mine.some((e) => e.step === "start")) {
              stopAsked = true;
              void ferry(["runner", "stop"], { cwd: p.dir });
            }
            if (!mine.some((e) => e.step === point.log)) return false;
          } else if ("fs" in point) {
            const now = scan();
            const seen = point.fs === "launch-dir" ? [now.dirs, before.dirs] : [now.results, before.results];
            if (![...seen[0]!].some((x) => !seen[1]!.has(x))) return false;
          } else if ("db" in point) {
            // a run this runner staged (not one a killed runner left STAGED)
            const id = entries(from).find((e) => e.step === "start")?.runner;
            const runs = id ? await p.store.findRuns({ states: [point.db], modes: ["managed"] }) : [];
            if (!runs.some((r) => r.leaseOwner === id)) return false;
          } else if ("call" in point) {
            // the wrapper holds the runner at the planned call
            if (point.when !== "fail" ? !f.held() : !entries(from).some((e) => e.step === "backoff"))
              return false;
          }
          kill();
          fired = true;
          return true;
        };
        await until(point.name, reached, 25_000);
      } catch (e) {
        // the point was not reached in time (no job left at that step): not counted
        trace(`${point.name}: ${(e as Error).message}`);
      }
      kill();
      await waitFor("the runner to exit", async () => exit !== undefined, 10_000).finally(() => {
        runner.kill("SIGKILL");
      });
      if (f.held()) f.release();
      trace(`${point.name}: exit ${exit?.code ?? exit?.signal}, ${f.fired().join(",")}`);
      if ("call" in point && point.when !== "fail") {
        fired = f.fired().length > firedBefore;
        if (!fired) f.disarm();
      }
      const mine = entries(from);
      if (fired && exit?.signal === "SIGKILL")
        kills.push({
          point: point.name,
          ms: Date.now() - started,
          lastStep: mine.at(-1)?.step ?? "(none)",
          done: await completed(),
        });
      else missed.push(`${point.name} (exit ${exit?.code ?? exit?.signal})`);
      if (exit?.code !== null && exit?.code !== undefined && exit.code !== 0)
        assert.fail(`runner exited ${exit.code} at ${point.name}:\n${out}`);
    }
    trace("the last runner");
    // a last runner finishes the work
    const last = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let out = "";
    last.stdout.on("data", (c) => (out += c));
    last.stderr.on("data", (c) => (out += c));
    const exited = new Promise<number | null>((r) => last.once("exit", (code) => r(code)));
    try {
      await waitFor(
        "every job COMPLETED",
        async () => {
          const bad = await p.store.countJobs({ states: ["FAILED", "HELD"] });
          if (bad > 0) throw new Error(`${bad} job(s) failed, held or lost:\n${out}`);
          return (await completed()) === JOBS;
        },
        120_000,
      );
      // a stop asked before the runner registered would find no runner to ask (the points may
      // have left nothing to do: the jobs are COMPLETED before it has started)
      await waitFor("the last runner to register", async () => /\bstart: runner /.test(out));
      const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(await exited, 0, out);
    } finally {
      last.kill("SIGKILL");
    }
    ctx.diagnostic(
      `${kills.length} kills in ${Math.round((Date.now() - t0) / 1000)} s:\n${kills
        .map((k) => `  ${k.point} — ${k.ms} ms after start, last log step "${k.lastStep}", ${k.done} done`)
        .join("\n")}\nnot reached: ${missed.join("; ") || "none"}`,
    );
    assert.ok(kills.length >= 20, `at least 20 kills (got ${kills.length}; missed ${missed.join("; ")})`);

    // none lost, none run twice
    const ran = readFileSync(marks, "utf8").trim().split("\n");
    const perJob = new Map<string, number>();
    for (const id of ran) perJob.set(id, (perJob.get(id) ?? 0) + 1);
    assert.equal(perJob.size, JOBS, "every job ran");
    assert.deepEqual([...new Set(perJob.values())], [1], "no job ran twice");
    // the scheduler accepted exactly one submission per job
    const subs = f.submissions();
    const perName = new Map<string, number>();
    for (const s of subs) {
      const job = /^ferry-([a-z]\d+)-/.exec(s.name)?.[1] ?? s.name;
      perName.set(job, (perName.get(job) ?? 0) + 1);
    }
    assert.equal(perName.size, JOBS, `a submission for every job: ${[...perName.keys()].join(" ")}`);
    assert.deepEqual(
      [...perName.entries()].filter(([, n]) => n !== 1),
      [],
      "no job submitted twice",
    );
    assert.equal(subs.length, JOBS);
    const jobs = await p.jobs(1);
    for (let k = 0; k < CHILDREN; k++) assert.deepEqual(jobs[`k${k}`]!.outputs, { s: 4 * k + 1 });
  }
}
