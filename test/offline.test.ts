/**
 * Offline mode end to end: submit through the shell scheduler (a detached local process), let
 * the jobs run with no database, recover. The compute side also runs in a network namespace
 * with no network, while the database is moved away or stopped.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { rerunJobs } from "../src/engine/rerun.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { openStore } from "../src/store/open.ts";
import { writeFileAtomic } from "../src/transport/local.ts";
import { ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { pgClusterAvailable, startPgCluster } from "./helpers/pg-cluster.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const cluster = (extra: Record<string, unknown> = {}) => ({
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

const TASKS = `export function square({ x }) { return { value: x * x }; }
export function sum({ a, b }) { return { total: a + b }; }
export async function probe({ host, port }) {
  const net = await import("node:net");
  const reached = await new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on("connect", () => { s.destroy(); resolve("connected"); });
    s.on("error", (e) => resolve(e.code));
  });
  return { reached };
}
`;

const DIAMOND = (extra = "") => `name: offline
jobs:
  - name: a
    inputs: {n: 3}
    sh: |
      echo "{\\"value\\": $((FERRY_IN_n + 1))}" > "$FERRY_OUTPUTS"
  - {name: b, parents: [a], inputs: {x: "\${{ a.value }}"}, js: ./tasks.mjs#square}
  - name: c
    parents: [a]
    inputs: {x: "\${{ a.value }}"}
    sh: |
      echo "{\\"value\\": $((FERRY_IN_x * 10))}" > "$FERRY_OUTPUTS"
  - {name: d, parents: [b, c], inputs: {a: "\${{ b.value }}", b: "\${{ c.value }}"}, js: ./tasks.mjs#sum}
${extra}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every submitted run has written its result (or its job is done). */
async function allResultsWritten(p: TestProject): Promise<boolean> {
  const runs = await p.store.findRuns({ states: ["SUBMITTED", "RUNNING", "STAGED"], modes: ["offline"] });
  return runs.every((r) => existsSync(bundlePaths(r.launchDir!).result));
}

/** submit, wait for the results, recover — until nothing is READY or active. */
async function cycle(p: TestProject, rounds = 10): Promise<void> {
  const worker = asBatchWorker(p.project.workers.cluster!);
  for (let i = 0; i < rounds; i++) {
    await offlineSubmit(p.store, p.project, worker);
    await waitFor("results", () => allResultsWritten(p));
    await offlineRecover(p.store, p.project);
    if (
      (await p.store.countJobs({
        states: ["READY", "RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      })) === 0
    )
      return;
  }
}

for (const d of dialects()) {
  describe(`offline mode on ${d.name}`, { skip: d.skip }, () => {
    test("a flow of sh and js jobs completes through submit / recover, outputs passed through references", async () => {
      await using p = await testProject(d, {}, { workers: cluster() });
      p.file("tasks.mjs", TASKS);
      const ids = await p.add(DIAMOND());
      await cycle(p);
      const jobs = await p.jobs();
      assert.deepEqual(
        Object.values(jobs).map((j) => j.state),
        ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"],
      );
      assert.deepEqual(jobs.d!.outputs, { total: 16 + 40 });
      const runs = await p.store.runsOfJobs(Object.values(ids));
      assert.ok(
        runs.every(
          (r) => r.mode === "offline" && r.schedulerId !== null && r.host !== null && r.startedAt !== null,
        ),
      );
      const history = (await p.store.getEvents(ids.d!)).map((e) => e.to);
      assert.deepEqual(
        history,
        ["WAITING", "READY", "RESERVED", "STAGED", "SUBMITTED", "RUNNING", "COMPLETED"].filter((s) =>
          history.includes(s as never),
        ),
      );
      assert.ok(history.includes("SUBMITTED") && history.at(-1) === "COMPLETED");
      // recovering again changes nothing
      const again = await offlineRecover(p.store, p.project);
      assert.equal(again.examined, 0);
    });

    test("a job killed by SIGTERM (its walltime) records the signal and checkpoint; a task-level rerun resumes there", async () => {
      await using p = await testProject(d, {}, { workers: cluster() });
      const flag = join(p.dir, "flag");
      const ids = await p.add(`name: walltime
jobs:
  - name: t
    resources: {walltime: 3}
    inputs: {dir: "${p.dir}", flag: "${flag}"}
    tasks:
      - sh: |
          echo x >> "$FERRY_IN_dir/count-0"; echo '{"one": 1}' > "$FERRY_OUTPUTS"
      - sh: |
          echo x >> "$FERRY_IN_dir/count-1"; [ -e "$FERRY_IN_flag" ] || sleep 60; echo '{"two": 2}' > "$FERRY_OUTPUTS"
      - sh: |
          echo x >> "$FERRY_IN_dir/count-2"
`);
      await cycle(p, 1);
      const job = await p.job(ids.t!);
      assert.equal(job.state, "FAILED");
      const run = (await p.store.currentRuns([ids.t!])).get(ids.t!)!;
      assert.equal(run.error?.signal, "TERM");
      assert.equal(run.error?.reason, "walltime", "warned before the limit, then terminated");
      assert.equal(run.checkpoint?.task, 1);
      writeFileSync(flag, "");
      await rerunJobs(p.store, [ids.t!], { taskLevel: true, set: { "resources.walltime": "0:05:00" } });
      assert.equal((await p.job(ids.t!)).resources.walltime, "0:05:00");
      await cycle(p);
      assert.equal((await p.job(ids.t!)).state, "COMPLETED");
      const count = (i: number) =>
        readFileSync(join(p.dir, `count-${i}`), "utf8")
          .trim()
          .split("\n").length;
      assert.deepEqual([count(0), count(1), count(2)], [1, 2, 1]);
      assert.deepEqual((await p.job(ids.t!)).outputs, { one: 1, two: 2 });
    });

    test("recover racing a writer never fails a healthy run; a torn or foreign file is a problem, not a verdict", async () => {
      await using p = await testProject(d, {}, { workers: cluster() });
      const ids = await p.add(
        "name: race\njobs:\n  - {name: r, sh: 'true'}\n  - {name: child, parents: [r], sh: 'true'}\n",
      );
      const { claimed } = await claimRuns(p.store, {
        worker: { name: "cluster", workDir: join(p.dir, "runs"), categories: [] },
        limit: 1,
        to: "RESERVED",
        mode: "offline",
        leaseOwner: null,
        leaseMs: null,
        host: "h",
      });
      const run = claimed[0]!;
      const paths = bundlePaths(run.launchDir);
      const { mkdirSync } = await import("node:fs");
      mkdirSync(paths.task(0).dir, { recursive: true });
      await p.store.transaction(async (tx) => {
        await tx.updateRuns([run.runId], { state: "SUBMITTED" }, Date.now());
        await tx.transitionJobs([ids.r!], {
          from: ["RESERVED"],
          to: "SUBMITTED",
          reason: "test",
          now: Date.now(),
        });
      });
      const t0 = Math.floor(Date.now() / 1000);
      // the writer is another process, as a compute node is: what a healthy wrapper writes
      // (atomically), and what a careless writer would (in place, torn; or another run's file)
      const script = `
        const fs = require("node:fs");
        const [dir, runId, t0, until] = process.argv.slice(1);
        const put = (f, t) => { fs.writeFileSync(dir + "/." + f + ".tmp", t); fs.renameSync(dir + "/." + f + ".tmp", dir + "/" + f); };
        for (let i = 0; Date.now() < Number(until); i++) {
          put("started.json", JSON.stringify({ runId: Number(runId), at: Number(t0), host: "node7", pid: 1, schedulerJobId: "" }));
          put("heartbeat", String(Number(t0) + i));
          put("checkpoint.json", JSON.stringify({ runId: Number(runId), task: 0 }));
          fs.writeFileSync(dir + "/result.json", '{"runId": ' + runId + ', "state": "COMP');
          fs.writeFileSync(dir + "/result.json", JSON.stringify({ runId: Number(runId) + 1000, state: "FAILED", exitCode: 9 }));
          fs.rmSync(dir + "/result.json", { force: true });
        }`;
      const { spawn } = await import("node:child_process");
      const writer = spawn(
        process.execPath,
        ["-e", script, paths.dir, String(run.runId), String(t0), String(Date.now() + 1500)],
        { stdio: "inherit" },
      );
      let writing = true;
      const writerDone = new Promise((r) => writer.on("exit", r)).then(() => {
        writing = false;
      });
      let problems = 0;
      await sleep(50);
      while (writing) {
        await sleep(1); // let the event loop see the writer's exit
        const s = await offlineRecover(p.store, p.project, { poll: false });
        problems += s.problems.length;
        assert.deepEqual(s.failed, [], "a healthy run is never failed by what recover reads");
        assert.notEqual((await p.job(ids.r!)).state, "FAILED");
      }
      await writerDone;
      assert.ok(problems > 0, "torn and foreign files were seen and reported");
      assert.equal((await p.job(ids.r!)).state, "RUNNING");
      assert.equal((await p.store.getRun(run.runId))!.host, "node7");
      // the real result arrives; two recovers race to apply it
      writeFileSync(paths.task(0).output, '{"ok": true}');
      await writeFileAtomic(
        paths.result,
        JSON.stringify({
          runId: run.runId,
          state: "COMPLETED",
          exitCode: 0,
          signal: null,
          task: null,
          nextTask: 1,
          stopped: false,
          warning: false,
          startedAt: t0,
          finishedAt: t0 + 1,
        }),
      );
      const other = await openStore(p.project.database);
      const [a, b] = await Promise.all([
        offlineRecover(p.store, p.project, { poll: false }),
        offlineRecover(other, p.project, { poll: false }),
      ]);
      await other.close();
      assert.equal(a.completed.length + b.completed.length, 1, "applied exactly once");
      assert.equal((await p.job(ids.r!)).state, "COMPLETED");
      assert.equal((await p.job(ids.child!)).unfinishedParents, 0);
      assert.equal((await p.store.getEvents(ids.r!)).filter((e) => e.to === "COMPLETED").length, 1);
    });

    test("two recover processes at once apply each of 60 results once", async () => {
      await using p = await testProject(d, {}, { workers: cluster() });
      const parents = Array.from(
        { length: 60 },
        (_, i) => `  - {name: p${i}, sh: 'echo "{\\"i\\": ${i}}" > "$FERRY_OUTPUTS"'}`,
      );
      const ids = await p.add(
        `name: many\njobs:\n${parents.join("\n")}\n  - {name: join, parents: [${parents.map((_, i) => `p${i}`).join(", ")}], sh: 'true'}\n`,
      );
      await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      await waitFor("60 results", () => allResultsWritten(p));
      const [one, two] = await Promise.all([
        ferry(["offline", "recover", "--json"], { cwd: p.dir }),
        ferry(["offline", "recover", "--json"], { cwd: p.dir }),
      ]);
      const s1 = JSON.parse(one.stdout);
      const s2 = JSON.parse(two.stdout);
      assert.equal(s1.completed.length + s2.completed.length, 60);
      assert.equal(new Set([...s1.completed, ...s2.completed]).size, 60);
      const join_ = await p.job(ids.join!);
      assert.equal(join_.unfinishedParents, 0, "each parent released the child once");
      assert.equal(join_.state, "READY");
      const completions = await Promise.all(
        Array.from({ length: 60 }, (_, i) => p.store.getEvents(ids[`p${i}`]!)),
      );
      assert.ok(completions.every((ev) => ev.filter((e) => e.to === "COMPLETED").length === 1));
    });

    test("forget stops recovering a run; rerun and cancel leave old runs behind by themselves", async () => {
      await using p = await testProject(d, {}, { workers: cluster() });
      const ids = await p.add("name: f\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, sh: 'true'}\n");
      await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      await waitFor("results", () => allResultsWritten(p));
      const { forgetRuns } = await import("../src/offline/forget.ts");
      assert.equal((await forgetRuns(p.store, [ids.a!])).runIds.length, 1);
      const { cancelJobs } = await import("../src/engine/control.ts");
      await cancelJobs(p.store, [ids.b!]);
      const s = await offlineRecover(p.store, p.project);
      assert.equal(s.examined, 0);
      assert.equal((await p.job(ids.a!)).state, "SUBMITTED", "frozen until rerun or cancel");
      assert.equal(
        (await p.job(ids.b!)).state,
        "CANCELLED",
        "recover does not undo a cancel (FireWorks #326)",
      );
      await rerunJobs(p.store, [ids.a!], { force: true });
      assert.equal((await p.job(ids.a!)).state, "READY");
    });

    test("a submission the scheduler refuses holds the job; retry releases it", async () => {
      await using p = await testProject(
        d,
        {},
        {
          workers: cluster({
            commandPrefix: [
              "sh",
              "-c",
              "echo 'sbatch: error: invalid partition specified: debg' >&2; exit 1",
              "refuse",
            ],
          }),
        },
      );
      const ids = await p.add("name: h\njobs:\n  - {name: a, sh: 'true'}\n");
      const s = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      assert.equal(s.held.length, 1);
      assert.match(s.held[0]!.message, /invalid partition specified: debg/);
      assert.equal((await p.job(ids.a!)).state, "HELD");
      const { retryJobs } = await import("../src/engine/control.ts");
      await retryJobs(p.store, [ids.a!]);
      assert.equal((await p.job(ids.a!)).state, "READY");
    });
  });
}

describe("offline mode, the hard cases", () => {
  test("compute side in a network namespace with no network at all still completes", {
    skip: skipUnless("netns"),
  }, async () => {
    const d = dialects()[0]!;
    await using p = await testProject(
      d,
      {},
      { workers: cluster({ commandPrefix: ["unshare", "-n", "--"] }) },
    );
    p.file("tasks.mjs", TASKS);
    const { createServer } = await import("node:net");
    const server = createServer((s) => s.end()).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    try {
      const ids = await p.add(
        DIAMOND(
          `  - {name: probe, parents: [a], inputs: {host: "127.0.0.1", port: ${port}}, js: ./tasks.mjs#probe}\n`,
        ),
      );
      await cycle(p);
      const jobs = await p.jobs();
      assert.ok(Object.values(jobs).every((j) => j.state === "COMPLETED"));
      assert.deepEqual(jobs.d!.outputs, { total: 56 });
      assert.notEqual(
        (jobs.probe!.outputs as { reached: string }).reached,
        "connected",
        "the compute side could not reach the host",
      );
      void ids;
    } finally {
      server.close();
    }
  });

  test("the SQLite file is moved away while jobs run; once it is back, recover collects every result", async () => {
    const d = dialects()[0]!;
    const p = await testProject(d, {}, { workers: cluster() });
    try {
      p.file("tasks.mjs", TASKS);
      await p.add(
        "name: away\njobs:\n  - {name: a, sh: 'sleep 1; echo 1 > \"$FERRY_OUTPUTS\"'}\n  - {name: b, sh: 'sleep 1; echo 2 > \"$FERRY_OUTPUTS\"'}\n",
      );
      assert.equal((await ferry(["offline", "submit"], { cwd: p.dir })).code, 0);
      const db = (p.project.database as { path: string }).path;
      await p.store.close();
      renameSync(db, `${db}.away`);
      const whileAway = await ferry(["offline", "recover"], { cwd: p.dir });
      assert.equal(whileAway.code, 5, "no database: a clear error, not an empty new one");
      assert.match(whileAway.stderr, /no database at .* will not replace it with an empty one/);
      assert.equal(existsSync(db), false);
      await waitFor("results", async () => {
        const runs = readFileSync(join(p.dir, "runs", "flow-1", "a-1", "_ferry", "job.json"), "utf8");
        return (
          runs.length > 0 &&
          existsSync(join(p.dir, "runs", "flow-1", "a-1", "_ferry", "result.json")) &&
          existsSync(join(p.dir, "runs", "flow-1", "b-2", "_ferry", "result.json"))
        );
      });
      renameSync(`${db}.away`, db);
      const back = await ferry(["offline", "recover", "--json"], { cwd: p.dir });
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(JSON.parse(back.stdout).completed.sort(), [1, 2]);
    } finally {
      const { rmSync } = await import("node:fs");
      rmSync(p.dir, { recursive: true, force: true });
    }
  });

  test("PostgreSQL is stopped while jobs run; once it is back, recover collects every result", {
    skip: skipUnless("postgres") || (!pgClusterAvailable() && "needs root and initdb"),
  }, async () => {
    await using pgc = await startPgCluster();
    await using p = await testProject(
      null,
      {},
      { workers: cluster(), target: { target: { kind: "postgres", url: pgc.url }, dispose: async () => {} } },
    );
    await p.add(
      "name: away\njobs:\n  - {name: a, sh: 'sleep 1; echo 1 > \"$FERRY_OUTPUTS\"'}\n  - {name: b, parents: [a], sh: 'echo 2 > \"$FERRY_OUTPUTS\"'}\n",
    );
    await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
    await pgc.stop();
    const whileDown = await ferry(["offline", "recover"], { cwd: p.dir });
    assert.equal(whileDown.code, 5);
    assert.match(whileDown.stderr, /PostgreSQL: .*is PostgreSQL at .* running and reachable\?/);
    await waitFor("result", () => existsSync(join(p.dir, "runs", "flow-1", "a-1", "_ferry", "result.json")));
    await pgc.start();
    const back = await ferry(["offline", "recover", "--json"], { cwd: p.dir });
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(JSON.parse(back.stdout).completed, [1]);
    await cycle(p);
    assert.deepEqual((await p.jobs()).b!.outputs, 2);
  });
});

describe("offline mode: lost runs and running a bundle by hand", () => {
  test("a run whose wrapper died is reported by recover and failed by detect-lost with its checkpoint", async () => {
    const d = dialects()[0]!;
    await using p = await testProject(
      d,
      {},
      { workers: cluster({ heartbeatSeconds: 1, lostAfterSeconds: 2, statusIntervalSeconds: 600 }) },
    );
    const ids = await p.add(`name: lost
jobs:
  - name: l
    tasks:
      - sh: "true"
      - sh: sleep 120
`);
    await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
    const run = (await p.store.currentRuns([ids.l!])).get(ids.l!)!;
    const paths = bundlePaths(run.launchDir!);
    await waitFor(
      "task 1",
      () => existsSync(paths.checkpoint) && readFileSync(paths.checkpoint, "utf8").includes('"task":1'),
    );
    await offlineRecover(p.store, p.project, { poll: false });
    assert.equal((await p.job(ids.l!)).state, "RUNNING");
    // the compute node dies: the whole job (wrapper, heartbeat loop, task) is killed without a word
    process.kill(-Number(run.schedulerId), "SIGKILL");
    await sleep(3500);
    const s = await offlineRecover(p.store, p.project, { poll: false });
    assert.deepEqual(
      s.silent.map((x) => x.jobId),
      [ids.l],
    );
    const found = await ferry(["detect-lost", "--json"], { cwd: p.dir });
    const report = JSON.parse(found.stdout);
    assert.deepEqual(
      report.lost.map((l: { jobId: number; verdict: string; checkpointTask: number }) => [
        l.jobId,
        l.verdict,
        l.checkpointTask,
      ]),
      [[ids.l, "lost", 1]],
    );
    assert.equal((await p.job(ids.l!)).state, "RUNNING", "reporting changes nothing");
    const failed = await ferry(["detect-lost", "--fail", "--json"], { cwd: p.dir });
    assert.deepEqual(JSON.parse(failed.stdout).handled.failed, [ids.l]);
    const job = await p.job(ids.l!);
    assert.equal(job.state, "FAILED");
    const lostRun = (await p.store.runsOfJobs([ids.l!]))[0]!;
    assert.equal(lostRun.state, "LOST");
    assert.equal(lostRun.error?.reason, "lost");
    assert.equal(lostRun.checkpoint?.task, 1, "the checkpoint is kept for a task-level rerun");
  });

  test("separate recover processes together ask the scheduler no more often than statusIntervalSeconds", async () => {
    const d = dialects()[0]!;
    await using p = await testProject(d, {}, { workers: cluster({ statusIntervalSeconds: 60 }) });
    await p.add("name: slow\njobs:\n  - {name: s, sh: sleep 30}\n");
    await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
    const recover = async () =>
      JSON.parse((await ferry(["offline", "recover", "--json"], { cwd: p.dir })).stdout) as {
        schedulerCalls: number;
        deferred: { worker: string; seconds: number }[];
      };
    const first = await recover();
    assert.equal(first.schedulerCalls, 1);
    // three processes at once, within the interval: none asks
    const racing = await Promise.all([recover(), recover(), recover()]);
    assert.deepEqual(
      racing.map((r) => r.schedulerCalls),
      [0, 0, 0],
    );
    for (const r of racing) {
      assert.equal(r.deferred[0]?.worker, "cluster");
      assert.ok(
        r.deferred[0]!.seconds > 30 && r.deferred[0]!.seconds <= 60,
        `next call in ${r.deferred[0]!.seconds} s`,
      );
    }
    const text = await ferry(["offline", "recover"], { cwd: p.dir });
    assert.match(
      text.stdout,
      /cluster: scheduler status not asked \(statusIntervalSeconds\); next call allowed in \d+ s/,
    );
    await ferry(["cancel", "--all", "--yes"], { cwd: p.dir });
  });

  test("ferry exec runs a bundle by hand, and recover collects it", async () => {
    const d = dialects()[0]!;
    await using p = await testProject(
      d,
      {},
      { workers: cluster({ commandPrefix: ["sh", "-c", "echo 4242", "never-run"] }) },
    );
    p.file("tasks.mjs", TASKS);
    const ids = await p.add("name: byhand\njobs:\n  - {name: sq, inputs: {x: 7}, js: ./tasks.mjs#square}\n");
    // a "scheduler" that accepts the job and runs nothing: the user runs the bundle by hand
    await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
    const run = (await p.store.currentRuns([ids.sq!])).get(ids.sq!)!;
    assert.equal(run.schedulerId, "4242");
    const exec = await ferry(["exec", run.launchDir!], { cwd: p.dir });
    assert.equal(exec.code, 0, exec.stderr);
    await offlineRecover(p.store, p.project, { poll: false });
    assert.deepEqual((await p.job(ids.sq!)).outputs, { value: 49 });
  });
});

describe("pull and offline workers in one project", () => {
  test("ferry launch finishes its own work without waiting for offline jobs only recover can finish", async () => {
    const d = dialects()[0]!;
    // a "scheduler" that accepts jobs and runs nothing: the offline job stays SUBMITTED
    await using p = await testProject(
      d,
      {},
      { workers: cluster({ commandPrefix: ["sh", "-c", "echo 4242", "accept"] }) },
    );
    const ids = await p.add(
      "name: mixed\njobs:\n  - {name: away, worker: cluster, sh: 'true'}\n  - {name: here, worker: local, sh: 'true'}\n",
    );
    await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
    assert.equal((await p.job(ids.away!)).state, "SUBMITTED");
    const launched = await Promise.race([p.launch(), sleep(20_000).then(() => "still waiting")]);
    assert.notEqual(launched, "still waiting", "the launcher stopped when its own work was done");
    assert.equal((await p.job(ids.here!)).state, "COMPLETED");
    assert.equal((await p.job(ids.away!)).state, "SUBMITTED");
  });
});
