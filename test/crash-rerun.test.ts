/**
 * Reruns that lost work (issue #8, "Crashes that strand work"): a forced rerun of a job whose
 * result is written but not yet collected; a task resumed by a task-level rerun that reads an
 * earlier task's output file; a plain rerun of a job whose offline run was forgotten.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { ferry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const cluster = {
  cluster: {
    mode: "offline",
    scheduler: "shell",
    workDir: "runs",
    heartbeatSeconds: 1,
    statusIntervalSeconds: 0.2,
    node: process.execPath,
  },
};

for (const d of dialects()) {
  describe(`reruns that lost work (${d.name})`, { skip: d.skip }, () => {
    test("rerun --force of a job whose COMPLETED result is not recovered yet keeps that result on the archived run", async () => {
      await using p = await testProject(d, {}, { workers: cluster });
      const ids = await p.add("name: done\njobs:\n  - {name: a, sh: 'echo 42 > \"$FERRY_OUTPUTS\"'}\n");
      await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      const run = (await p.store.currentRuns([ids.a!])).get(ids.a!)!;
      await until("the result", () => existsSync(bundlePaths(run.launchDir!).result));
      const r = await ferry(["rerun", "--force", "--id", String(ids.a), "--json"], { cwd: p.dir });
      assert.equal(r.code, 0, r.stderr);
      const runs = await p.store.runsOfJobs([ids.a!], { includeArchived: true });
      assert.equal(runs.length, 1);
      assert.deepEqual(
        [runs[0]!.state, runs[0]!.archived, runs[0]!.outputs],
        ["COMPLETED", true, 42],
        "the work done is on the record, not CANCELLED and dropped",
      );
      assert.equal((await p.job(ids.a!)).state, "READY");
      const history = (await p.store.getEvents(ids.a!)).map((e) => e.to);
      assert.deepEqual(history.slice(-3), ["COMPLETED", "WAITING", "READY"]);
    });

    for (const mode of ["fresh", "--copy-data", "--previous-dir"] as const) {
      test(`a task resumed by a task-level rerun (${mode}) reads the earlier task's output file where it wrote it`, async () => {
        await using p = await testProject(d);
        const flag = join(p.dir, "flag");
        const ids = await p.add(`name: resume
jobs:
  - name: t
    tasks:
      - sh: |
          echo x >> "${p.dir}/ran-0"; echo '{"energy": -7.5}' > "$FERRY_OUTPUTS"
      - sh: |
          [ -e "${flag}" ] || exit 3
          cp "$FERRY_LAUNCH_DIR/_ferry/tasks/0/output.json" "$FERRY_OUTPUTS"
`);
        await p.launch();
        assert.equal((await p.job(ids.t!)).state, "FAILED");
        const { writeFileSync } = await import("node:fs");
        writeFileSync(flag, "");
        const args = ["rerun", "--task-level", "--id", String(ids.t), ...(mode === "fresh" ? [] : [mode])];
        const r = await ferry(args, { cwd: p.dir });
        assert.equal(r.code, 0, r.stderr);
        await p.launch();
        const job = await p.job(ids.t!);
        assert.equal(
          job.state,
          "COMPLETED",
          JSON.stringify((await p.store.currentRuns([ids.t!])).get(ids.t!)?.error),
        );
        assert.deepEqual(job.outputs, { energy: -7.5 });
        assert.equal(readFileSync(join(p.dir, "ran-0"), "utf8"), "x\n", "task 0 did not run again");
      });
    }

    test("a forgotten offline run is marked by jobs show and does not block a plain rerun", async () => {
      await using p = await testProject(
        d,
        {},
        {
          workers: {
            cluster: {
              ...cluster.cluster,
              commandPrefix: ["sh", "-c", "echo 4242", "accept-and-run-nothing"],
            },
          },
        },
      );
      const ids = await p.add("name: f\njobs:\n  - {name: a, sh: 'true'}\n");
      await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      const forget = await ferry(["offline", "forget", "--id", String(ids.a)], { cwd: p.dir });
      assert.equal(forget.code, 0, forget.stderr);
      const shown = await ferry(["jobs", "show", String(ids.a)], { cwd: p.dir });
      assert.match(shown.stdout, /run \d+ attempt 1: SUBMITTED .*forgotten/);
      const json = JSON.parse(
        (await ferry(["jobs", "show", String(ids.a), "--json"], { cwd: p.dir })).stdout,
      );
      assert.equal(json.runs[0].forgotten, true);
      const rerun = await ferry(["rerun", "--id", String(ids.a)], { cwd: p.dir });
      assert.equal(rerun.code, 0, `a plain rerun is not refused: ${rerun.stderr}`);
      assert.equal((await p.job(ids.a!)).state, "READY");
      const old = (await p.store.runsOfJobs([ids.a!], { includeArchived: true }))[0]!;
      assert.deepEqual([old.archived, old.forgotten], [true, true]);
    });
  });
}
