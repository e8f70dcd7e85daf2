/**
 * The runner when the database goes away (a PostgreSQL cluster of the test's own, stopped while
 * jobs run): it stops advancing, logs, backs off, and resumes when the database is back — the
 * jobs ran on meanwhile and every result is collected once; the runner never exits.
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
});
