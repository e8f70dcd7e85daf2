/**
 * `ferry offline submit` can die at any instruction (issue #8, "Crashes that strand work"): a
 * kill -9 used to strand the rest of its claimed batch RESERVED and a job already handed to the
 * scheduler STAGED, whose result could then never be applied. Here: kill -9 at random points,
 * then the deterministic windows one by one, and a submit command that cannot be started.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { claimRuns } from "../src/engine/claim.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { FERRY_MAIN, ferry } from "./helpers/cli.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * The shell scheduler behind a prefix that logs each submission's run name (the 13th argument
 * of the shell launcher, shell/commands.ts) into `<project>/submissions` ($5 is the launch dir,
 * `<project>/runs/flow-1/<job>-<run>`), and takes its time around the submission so that a kill
 * lands between "handed to the scheduler" and "recorded" often; `after` runs once it returned.
 */
function loggingPrefix(after = "sleep 0.15"): string[] {
  const script = `if [ "$4" = ferry-submit ]; then echo "\${13}" >> "$5/../../../submissions"; sleep 0.1; "$@"; rc=$?; ${after}; exit $rc; fi; exec "$@"`;
  return ["sh", "-c", script, "ferry-test-prefix"];
}

/** What CLI processes read: ferry.yaml with another prefix than the in-process project's. */
function cliPrefix(p: TestProject, prefix: string[]): void {
  const raw = JSON.parse(readFileSync(join(p.dir, "ferry.yaml"), "utf8"));
  raw.workers.cluster.commandPrefix = prefix;
  writeFileSync(join(p.dir, "ferry.yaml"), JSON.stringify(raw));
}

const cluster = (extra: Record<string, unknown>) => ({
  cluster: {
    mode: "offline",
    scheduler: "shell",
    workDir: "runs",
    heartbeatSeconds: 1,
    statusIntervalSeconds: 0.2,
    lostAfterSeconds: 60,
    node: process.execPath,
    ...extra,
  },
});

/** Jobs that append their own name to `exec` (to count executions). */
function flow(dir: string, n: number, body = "sleep 0.2"): string {
  const jobs = Array.from(
    { length: n },
    (_, i) =>
      `  - {name: j${i}, sh: 'echo "$FERRY_JOB_NAME" >> "${dir}/exec"; ${body}; echo ${i} > "$FERRY_OUTPUTS"'}`,
  );
  return `name: many\njobs:\n${jobs.join("\n")}\n`;
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];

/** Submit and recover until every job is done (no kills): what the next cron runs would do. */
async function finish(p: TestProject, rounds = 40): Promise<void> {
  const worker = asBatchWorker(p.project.workers.cluster!);
  for (let i = 0; i < rounds; i++) {
    await offlineSubmit(p.store, p.project, worker);
    await offlineRecover(p.store, p.project);
    if (
      (await p.store.countJobs({
        states: ["READY", "RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      })) === 0
    )
      return;
    await sleep(300);
  }
  throw new Error("jobs still not done");
}

async function assertDoneOnce(p: TestProject, dir: string, n: number, subs: string): Promise<void> {
  const jobs = await p.jobs();
  assert.deepEqual(
    Object.values(jobs)
      .filter((j) => j.state !== "COMPLETED")
      .map((j) => [j.name, j.state]),
    [],
    "every job COMPLETED",
  );
  const ran = lines(join(dir, "exec"));
  if (ran.length !== n) {
    // name what ran twice and how: its runs and its history (a failure here is a lifecycle bug)
    const twice = [...new Set(ran.filter((x, i) => ran.indexOf(x) !== i))];
    const detail: string[] = [];
    for (const name of twice) {
      const job = jobs[name]!;
      for (const r of await p.store.runsOfJobs([job.id], { includeArchived: true }))
        detail.push(
          `${name} run ${r.id}: ${r.state} scheduler ${r.schedulerId} dir ${r.launchDir} problem ${r.problem}`,
        );
      for (const e of await p.store.getEvents(job.id))
        detail.push(`${name} event: ${e.from} → ${e.to} run ${e.runId} (${e.reason})`);
    }
    detail.push(`submissions: ${lines(subs).join(" ")}`);
    assert.fail(`each job ran once, but ${ran.length} executions for ${n} jobs:\n${detail.join("\n")}`);
  }
  assert.equal(new Set(ran).size, n);
  const submitted = lines(subs);
  assert.equal(new Set(submitted).size, submitted.length, "no run was submitted twice");
  assert.equal((await p.store.findRuns({ states: ["RESERVED", "STAGED"] })).length, 0);
}

for (const d of dialects()) {
  describe(`offline submit killed (${d.name})`, { skip: d.skip }, () => {
    test("kill -9 at 20+ random points: every job completes, none runs twice, no run is submitted twice", async () => {
      await using p = await testProject(d, {}, { workers: cluster({ commandPrefix: loggingPrefix() }) });
      const log = join(p.dir, "submissions");
      const N = 60;
      await p.add(flow(p.dir, N));
      const run = (maxJobs: number, killAfterMs: number | null) =>
        new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) => {
          const t0 = Date.now();
          const child = spawn(
            process.execPath,
            [FERRY_MAIN, "offline", "submit", "--max-jobs", String(maxJobs)],
            {
              cwd: p.dir,
              env: { ...process.env, NO_COLOR: "1", FERRY_PROJECT: undefined, FERRY_DATABASE_URL: undefined },
              stdio: "ignore",
            },
          );
          const timer =
            killAfterMs === null ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
          child.on("exit", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, ms: Date.now() - t0 });
          });
        });
      const warm = await run(4, null);
      assert.equal(warm.code, 0);
      let kills = 0;
      let halfWay = 0;
      // a kill lands inside a run only if it comes before the run ends: aim at the length of the
      // latest run that was not killed (a submit gets shorter once fewer jobs are READY, and any
      // run gets longer on a loaded machine)
      let typical = warm.ms;
      for (let round = 0; kills < 22 && round < 80; round++) {
        const delay = Math.round(typical * (0.4 + 0.65 * Math.random()));
        const r = await run(4, delay);
        if (r.signal !== "SIGKILL") {
          typical = r.ms;
          continue;
        }
        kills++;
        if ((await p.store.findRuns({ states: ["RESERVED", "STAGED"] })).length > 0) halfWay++;
      }
      assert.ok(kills >= 20, `${kills} kills`);
      assert.ok(halfWay >= 1, `no kill left a batch half-way (${kills} kills): the test proves nothing`);
      await finish(p);
      await assertDoneOnce(p, p.dir, N, log);
      console.log(
        `# ${kills} kills, ${halfWay} left runs RESERVED or STAGED; ${lines(log).length} submissions for ${N} jobs`,
      );
    });

    test("killed right after the scheduler took the job: recover collects it, the next submit does not submit it again", async () => {
      await using p = await testProject(d, {}, { workers: cluster({ commandPrefix: loggingPrefix() }) });
      const log = join(p.dir, "submissions");
      // the CLI's submitter dies the moment its first submission returns, before recording it
      cliPrefix(p, loggingPrefix("kill -9 $PPID; sleep 1"));
      const ids = await p.add(flow(p.dir, 3));
      const dead = await ferry(["offline", "submit"], { cwd: p.dir });
      assert.equal(dead.code, null, "killed by SIGKILL");
      assert.equal((await p.job(ids.j0!)).state, "STAGED", "handed to the scheduler, never recorded");
      const run0 = (await p.store.currentRuns([ids.j0!])).get(ids.j0!)!;
      await until("j0's result", () => existsSync(join(run0.launchDir!, "_ferry", "result.json")));
      const recovered = await ferry(["offline", "recover", "--json"], { cwd: p.dir });
      assert.equal(recovered.code, 0, recovered.stderr);
      assert.deepEqual(
        JSON.parse(recovered.stdout).completed,
        [ids.j0],
        "a STAGED run whose result appeared is collected",
      );
      // the next submit (in-process, no killing prefix) adopts the two never submitted, submits them once
      await finish(p);
      await assertDoneOnce(p, p.dir, 3, log);
      const history = (await p.store.getEvents(ids.j0!)).map((e) => e.to);
      assert.deepEqual(history.slice(-3), ["STAGED", "RUNNING", "COMPLETED"]);
    });

    test("detect-lost reports what a dead submit left, and with --fail settles it without submitting anything twice", async () => {
      await using p = await testProject(d, {}, { workers: cluster({ commandPrefix: loggingPrefix() }) });
      const log = join(p.dir, "submissions");
      cliPrefix(p, loggingPrefix("kill -9 $PPID; sleep 1"));
      const ids = await p.add(flow(p.dir, 2));
      assert.equal((await ferry(["offline", "submit"], { cwd: p.dir })).code, null);
      const j0 = (await p.store.currentRuns([ids.j0!])).get(ids.j0!)!;
      await until("j0 to start", () => existsSync(join(j0.launchDir!, "_ferry", "started.json")));
      const report = await ferry(["detect-lost", "--json"], { cwd: p.dir });
      assert.equal(report.code, 0, report.stderr);
      const found = JSON.parse(report.stdout).submissions.found as { jobId: number; state: string }[];
      assert.deepEqual(found.map((f) => f.jobId).sort(), [ids.j0, ids.j1]);
      assert.equal(
        (await p.job(ids.j1!)).state,
        found.find((f) => f.jobId === ids.j1)!.state,
        "reporting changes nothing",
      );
      const settled = await ferry(["detect-lost", "--fail", "--json"], { cwd: p.dir });
      assert.equal(settled.code, 0, settled.stderr);
      const adopted = JSON.parse(settled.stdout).submissions.adopted;
      assert.equal(
        adopted.started.length + adopted.collected.length,
        1,
        "j0 was submitted: followed, not resubmitted",
      );
      assert.deepEqual(adopted.released.length, 1, "j1 never reached the scheduler: back to READY");
      assert.equal((await p.job(ids.j1!)).state, "READY");
      assert.match(settled.stdout, /"released"/);
      await finish(p);
      await assertDoneOnce(p, p.dir, 2, log);
    });

    test("runs a dead submit left RESERVED go back to READY and are submitted once", async () => {
      await using p = await testProject(d, {}, { workers: cluster({}) });
      const ids = await p.add(flow(p.dir, 2));
      // a submitter on this host that claimed both jobs and died before writing any bundle
      const ghost = spawn(process.execPath, ["-e", ""]);
      const pid = await new Promise<number>((r) => ghost.on("exit", () => r(ghost.pid!)));
      const { hostname } = await import("node:os");
      await claimRuns(p.store, {
        worker: { name: "cluster", workDir: join(p.dir, "runs"), categories: [] },
        limit: 2,
        to: "RESERVED",
        mode: "offline",
        leaseOwner: `${hostname()}:${pid}:0000aa`,
        leaseMs: 600_000,
        host: hostname(),
      });
      const s = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      assert.equal(
        s.adopted.released.length,
        2,
        "both reservations released at once (their owner's pid is gone)",
      );
      assert.deepEqual(s.submitted.map((x) => x.jobId).sort(), [ids.j0, ids.j1]);
      await finish(p);
      assert.deepEqual(lines(join(p.dir, "exec")).sort(), ["j0", "j1"]);
      const runs = await p.store.runsOfJobs([ids.j0!]);
      assert.deepEqual(
        runs.map((r) => r.state),
        ["INTERRUPTED", "COMPLETED"],
      );
    });
  });
}

describe("a submission command that cannot be started", () => {
  test("sbatch missing from PATH holds the jobs with the reason, nothing is left STAGED or RESERVED; retry resumes them", async () => {
    await using p = await testProject(dialects()[0]!, {}, { workers: cluster({ scheduler: "slurm" }) });
    const ids = await p.add(flow(p.dir, 3));
    // cron's PATH: node, but no sbatch
    const r = await ferry(["offline", "submit", "--json"], {
      cwd: p.dir,
      env: { PATH: dirname(process.execPath) },
    });
    assert.equal(r.code, 8, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.held.length, 3);
    assert.match(s.held[0].message, /cannot be started: cannot run sbatch/);
    const jobs = await p.jobs();
    assert.deepEqual(
      Object.values(jobs).map((j) => j.state),
      ["HELD", "HELD", "HELD"],
    );
    assert.equal(
      (await p.store.findRuns({ states: ["RESERVED", "STAGED", "SUBMITTED"] })).length,
      0,
      "nothing counts against maxQueued",
    );
    const retry = await ferry(["retry", "--all", "--yes"], { cwd: p.dir });
    assert.equal(retry.code, 0, retry.stderr);
    assert.equal((await p.job(ids.j0!)).state, "READY");
  });
});
