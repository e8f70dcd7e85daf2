/**
 * The runner when the database goes away (a PostgreSQL cluster of the test's own, stopped while
 * jobs run): it stops advancing, logs, backs off, and resumes when the database is back — the
 * jobs ran on meanwhile and every result is collected once; the runner never exits. Twice: a
 * short outage (~5 s), and one of a full minute (issue 9: "the database away for a minute while
 * jobs run") with jobs that finish all through it and one that outlives it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { pgClusterAvailable, startPgCluster } from "./helpers/pg-cluster.ts";
import { testProject } from "./helpers/project.ts";
import { managedLocal, waitFor } from "./helpers/runner.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the runner when the database goes away", () => {
  test("PostgreSQL stopped while jobs run: nothing lost, every result collected once it is back", {
    skip: skipUnless("postgres") || (!pgClusterAvailable() && "needs root and initdb"),
  }, async () => {
    await using pgc = await startPgCluster();
    await using p = await testProject(
      null,
      {},
      {
        workers: managedLocal(),
        target: { target: { kind: "postgres", url: pgc.url }, dispose: async () => {} },
      },
    );
    const marks = join(p.dir, "marks");
    // six jobs that outlive the outage, then one that needs all their outputs
    const sleepers = Array.from(
      { length: 6 },
      (_, i) =>
        `  - name: w${i}\n    sh: |\n      sleep 4\n      echo "$FERRY_JOB_ID" >> '${marks}'\n      echo '{"v": ${i}}' > "$FERRY_OUTPUTS"`,
    );
    p.file(
      "flow.yaml",
      `name: away\njobs:\n${sleepers.join("\n")}\n  - name: total\n    parents: [${sleepers.map((_, i) => `w${i}`).join(", ")}]\n    inputs: {v: [${sleepers.map((_, i) => `"\${{ w${i}.v }}"`).join(", ")}]}\n    sh: |\n      echo "{\\"n\\": $(echo "$FERRY_IN_v" | tr -cd , | wc -c)}" > "$FERRY_OUTPUTS"\n`,
    );
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let out = "";
    runner.stdout.on("data", (c) => (out += c));
    runner.stderr.on("data", (c) => (out += c));
    let exitCode: number | null | undefined;
    runner.once("exit", (code) => {
      exitCode = code;
    });
    try {
      await waitFor("the six jobs submitted", async () => /6 submitted/.test(out));
      await pgc.stop();
      // the jobs finish while the database is away: their results wait in the launch dirs
      await waitFor(
        "every sleeper to finish",
        async () => existsSync(marks) && readFileSync(marks, "utf8").split("\n").length > 6,
        30_000,
      );
      await waitFor("the runner to notice", async () => /WARN database: /.test(out), 30_000);
      await sleep(2000);
      assert.equal(exitCode, undefined, `the runner keeps running while the database is away:\n${out}`);
      await pgc.start();
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === 7,
        90_000,
      );
      assert.deepEqual((await p.jobs(1)).total!.outputs, { n: 5 }, "total got all six outputs");
      assert.match(out, /database: the database answers again/);
      const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
      assert.equal(stop.code, 0, stop.stderr);
      await waitFor("the runner to exit", async () => exitCode !== undefined);
      assert.equal(exitCode, 0, out);
    } finally {
      runner.kill("SIGKILL");
    }
    const runs = await p.store.findRuns({ modes: ["managed"] });
    assert.equal(runs.filter((r) => r.state !== "INTERRUPTED").length, 7, "one run per job");
    assert.equal(readFileSync(marks, "utf8").trim().split("\n").length, 6, "each sleeper ran once");
  });

  test("PostgreSQL away for 60 s while jobs run: every result collected after, nothing failed", {
    skip: skipUnless("postgres") || (!pgClusterAvailable() && "needs root and initdb"),
  }, async (ctx) => {
    await using pgc = await startPgCluster();
    await using p = await testProject(
      null,
      {},
      {
        workers: managedLocal(),
        target: { target: { kind: "postgres", url: pgc.url }, dispose: async () => {} },
      },
    );
    const marks = join(p.dir, "marks");
    // seven jobs that end 8 s … 56 s into the outage, one that outlives it, then one that needs them all
    const seconds = [8, 16, 24, 32, 40, 48, 56, 70];
    const jobs = seconds.map(
      (s, i) =>
        `  - name: w${i}\n    sh: |\n      sleep ${s}\n      echo "$FERRY_JOB_ID $(date +%s)" >> '${marks}'\n      echo '{"v": ${i}}' > "$FERRY_OUTPUTS"`,
    );
    p.file(
      "flow.yaml",
      `name: minute\njobs:\n${jobs.join("\n")}\n  - name: total\n    parents: [${jobs.map((_, i) => `w${i}`).join(", ")}]\n    inputs: {v: [${jobs.map((_, i) => `"\${{ w${i}.v }}"`).join(", ")}]}\n    sh: |\n      echo "{\\"n\\": $(echo "$FERRY_IN_v" | tr -cd , | wc -c)}" > "$FERRY_OUTPUTS"\n`,
    );
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let out = "";
    runner.stdout.on("data", (c) => (out += c));
    runner.stderr.on("data", (c) => (out += c));
    let exitCode: number | null | undefined;
    runner.once("exit", (code) => {
      exitCode = code;
    });
    const finished = () => (existsSync(marks) ? readFileSync(marks, "utf8").trim().split("\n").length : 0);
    try {
      await waitFor("the eight jobs submitted", async () => /8 submitted/.test(out));
      const down = Date.now();
      await pgc.stop();
      await waitFor("the runner to notice", async () => /WARN database: /.test(out), 30_000);
      // the outage itself is what is under test: it lasts a minute by the clock
      await sleep(60_000 - (Date.now() - down));
      const away = Date.now() - down;
      const doneWhileAway = finished();
      assert.equal(exitCode, undefined, `the runner keeps running while the database is away:\n${out}`);
      const attempts = (out.match(/WARN database: /g) ?? []).length;
      await pgc.start();
      const back = Date.now();
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === 9,
        120_000,
      );
      ctx.diagnostic(
        `database away ${Math.round(away / 1000)} s; ${doneWhileAway} of 8 jobs finished meanwhile; the runner tried ${attempts} time(s); all 9 COMPLETED ${((Date.now() - back) / 1000).toFixed(1)} s after it came back`,
      );
      assert.ok(away >= 60_000);
      assert.ok(doneWhileAway >= 6, `jobs ran on while the database was away (${doneWhileAway} finished)`);
      assert.equal(await p.store.countJobs({ states: ["FAILED", "HELD"] }), 0);
      assert.deepEqual((await p.jobs(1)).total!.outputs, { n: 7 }, "total got all eight outputs");
      assert.match(out, /database: the database answers again/);
      const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
      assert.equal(stop.code, 0, stop.stderr);
      await waitFor("the runner to exit", async () => exitCode !== undefined);
      assert.equal(exitCode, 0, out);
    } finally {
      runner.kill("SIGKILL");
    }
    const runs = await p.store.findRuns({ modes: ["managed"] });
    assert.equal(runs.filter((r) => r.state !== "INTERRUPTED").length, 9, "one run per job");
    assert.equal(finished(), 8, "each sleeper ran once");
  });
});
