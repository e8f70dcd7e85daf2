/**
 * The runner daemon on a local managed worker (shell scheduler), through the real CLI: a flow of
 * sh and js jobs with references runs to COMPLETED under `ferry runner start --foreground`; the
 * runner is stopped from another process with `ferry runner stop`; status and logs say what
 * happened; on SQLite a second runner is refused (exit 7) and a detached one starts and stops.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { FLOW, FLOW_JOBS, managedLocal, PY_TASKS, TASKS, TOTAL, waitFor } from "./helpers/runner.ts";
import { dialects } from "./helpers/stores.ts";

const d = dialects()[0]!;

describe("the runner on a local managed worker", { skip: d.skip }, () => {
  test("ferry runner start --foreground completes a flow of sh and js jobs; stop from another process", async () => {
    await using p = await testProject(d, {}, { workers: managedLocal() });
    p.file("tasks.mjs", TASKS);
    p.file("twice.py", PY_TASKS);
    p.file("flow.yaml", FLOW);
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let stdout = "";
    runner.stdout.on("data", (c) => (stdout += c));
    let stderr = "";
    runner.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === FLOW_JOBS,
      );
      const jobs = await p.jobs(1);
      assert.deepEqual(jobs.sum!.outputs, { total: TOTAL });
      assert.deepEqual(jobs.twice!.outputs, { twice: 2 * TOTAL });
      assert.deepEqual(jobs.s1!.outputs, { value: 10 });

      // on SQLite one runner per project: a second one is refused, nothing else happens
      const second = await ferry(["runner", "start", "--foreground"], { cwd: p.dir });
      assert.equal(second.code, 7, second.stderr);
      assert.match(
        second.stderr,
        /a runner is already running for this project \(pid \d+ on .*\); with SQLite/,
      );
      const detached = await ferry(["runner", "start"], { cwd: p.dir });
      assert.equal(detached.code, 7, detached.stderr);

      const status = await ferry(["runner", "status", "--json"], { cwd: p.dir });
      assert.equal(status.code, 0, status.stderr);
      const s = JSON.parse(status.stdout) as {
        runners: { pid: number; live: boolean }[];
        workers: { worker: string; state: string; queued: number; running: number; runner: string | null }[];
      };
      assert.deepEqual(
        s.runners.map((r) => [r.pid, r.live]),
        [[runner.pid, true]],
      );
      assert.equal(s.workers.length, 1);
      assert.equal(s.workers[0]!.worker, "hpc");
      assert.equal(s.workers[0]!.state, "ok");
      assert.equal(s.workers[0]!.queued + s.workers[0]!.running, 0);
      assert.notEqual(s.workers[0]!.runner, null, "the runner holds the worker's lease");
      const table = await ferry(["runner", "status"], { cwd: p.dir });
      assert.match(table.stdout, new RegExp(`\\b${runner.pid}\\b`));
      assert.match(table.stdout, /^hpc\s+\(local\)\s+ok\s+0\s+0\s/m);

      const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, /1 runner\(s\) stopped/);
      assert.equal(await exited, 0, stderr);
    } finally {
      runner.kill("SIGKILL");
    }
    // one line per step on stdout, the same entries as JSON in the log file
    assert.match(stdout, /hpc submit: 1 submitted/);
    assert.match(stdout, /hpc collect: 5 completed/);
    assert.match(stdout, /stop: the stop flag is set/);
    const logs = await ferry(["runner", "logs", "--json"], { cwd: p.dir });
    const entries = logs.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { step: string; worker?: string; data?: { completed?: number[] } });
    const collected = entries.filter((e) => e.step === "collect").flatMap((e) => e.data?.completed ?? []);
    assert.equal(collected.length, FLOW_JOBS, "each job collected once");
    assert.equal(new Set(collected).size, FLOW_JOBS);
    const human = await ferry(["runner", "logs", "-n", "1"], { cwd: p.dir });
    assert.match(human.stdout.trim(), /^\S+ \S+Z stop: runner stopped after \d+ worker cycle\(s\)$/);
    const after = JSON.parse((await ferry(["runner", "status", "--json"], { cwd: p.dir })).stdout) as {
      runners: unknown[];
    };
    assert.deepEqual(after.runners, [], "a stopped runner is not listed");
  });

  test("ferry runner start detaches: pid and log path printed, jobs complete, stop ends it", async () => {
    await using p = await testProject(d, {}, { workers: managedLocal() });
    p.file("tasks.mjs", TASKS);
    p.file("twice.py", PY_TASKS);
    p.file("flow.yaml", FLOW);
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const start = await ferry(["runner", "start"], { cwd: p.dir });
    assert.equal(start.code, 0, start.stderr);
    const pid = Number(/runner started: pid (\d+)/.exec(start.stdout)?.[1]);
    assert.ok(pid > 0, start.stdout);
    const log = /log: (\S+)/.exec(start.stdout)?.[1];
    assert.equal(log, join(p.dir, ".ferry", "runner", "runner.jsonl"));
    try {
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === FLOW_JOBS,
      );
      const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
      assert.equal(stop.code, 0, stop.stderr);
      await waitFor("the detached runner to exit", async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      });
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    const out = readFileSync(join(p.dir, ".ferry", "runner", "runner.out"), "utf8");
    assert.match(out, /hpc submit: 1 submitted/, "the detached runner's own output");
    assert.deepEqual((await p.jobs(1)).sum!.outputs, { total: TOTAL });
  });

  test("a project without a managed worker: runner start is a usage error (exit 2), nothing registered", async () => {
    await using p = await testProject(d);
    const r = await ferry(["runner", "start", "--foreground"], { cwd: p.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no managed worker/);
    assert.deepEqual(await p.store.listRunners(), []);
  });
});
