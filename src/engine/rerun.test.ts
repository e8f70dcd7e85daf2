/**
 * Reruns, replaying FireWorks' scenarios (fireworks/core/tests/test_launchpad.py: test_rerun_fws2 and
 * LaunchPadRerunExceptionTest) with real runs on both dialects.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { testProject } from "../../test/helpers/project.ts";
import { dialects } from "../../test/helpers/stores.ts";
import { ConflictError } from "../model/errors.ts";
import { LocalTransport } from "../transport/local.ts";
import { cancelJobs, pauseJobs, reigniteJobs, resumeJobs } from "./control.ts";
import { rerunJobs } from "./rerun.ts";

const count = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").length : 0);

/** Three tasks, each counting its executions; task 2 fails until the flag file exists. */
function threeTasks(dir: string): string {
  return `name: tasks
jobs:
  - name: t
    inputs: {dir: "${dir}"}
    tasks:
      - sh: |
          echo x >> "$FERRY_IN_dir/count-0"; echo '{"first": 1}' > "$FERRY_OUTPUTS"; echo data > data.txt
      - sh: |
          echo x >> "$FERRY_IN_dir/count-1"; echo '{"second": 2}' > "$FERRY_OUTPUTS"
      - sh: |
          echo x >> "$FERRY_IN_dir/count-2"; [ -e "$FERRY_IN_dir/flag" ] || { echo "Segmentation fault" >&2; exit 139; }
          echo '{"third": 3}' > "$FERRY_OUTPUTS"
`;
}

for (const d of dialects()) {
  describe(`reruns on ${d.name}`, { skip: d.skip }, () => {
    test("rerunning a middle job resets its descendants and leaves its siblings' runs untouched", async () => {
      await using p = await testProject(d);
      const ids = await p.add(`name: gods
jobs:
  - {name: zeus, sh: "true"}
  - {name: hera, parents: [zeus], sh: "true"}
  - {name: poseidon, parents: [zeus], sh: "true"}
  - {name: ares, parents: [hera], sh: "true"}
  - {name: apollo, parents: [hera, poseidon], sh: "true"}
`);
      assert.equal((await p.launch()).completed, 5);
      const before = new Map((await p.store.runsOfJobs(Object.values(ids))).map((r) => [r.jobId, r]));
      const r = await rerunJobs(p.store, [ids.hera!]);
      assert.deepEqual(
        r.jobs.map((j) => j.name),
        ["hera"],
      );
      assert.deepEqual(r.descendants.map((j) => j.name).sort(), ["apollo", "ares"]);
      const mid = await p.jobs();
      assert.deepEqual(Object.fromEntries(Object.entries(mid).map(([n, j]) => [n, j.state])), {
        zeus: "COMPLETED",
        hera: "READY",
        poseidon: "COMPLETED",
        ares: "WAITING",
        apollo: "WAITING",
      });
      assert.equal(mid.hera!.outputs, null);
      assert.equal((await p.launch()).completed, 3);
      const after = await p.store.runsOfJobs(Object.values(ids), { includeArchived: true });
      for (const name of ["zeus", "poseidon"]) {
        const runs = after.filter((x) => x.jobId === ids[name]);
        assert.equal(runs.length, 1, `${name} keeps its single run`);
        assert.equal(runs[0]!.id, before.get(ids[name]!)!.id);
        assert.equal(runs[0]!.archived, false);
      }
      for (const name of ["hera", "ares", "apollo"]) {
        const runs = after.filter((x) => x.jobId === ids[name]);
        assert.equal(runs.length, 2, `${name} ran again`);
        assert.equal(runs[0]!.archived, true, "the old run is archived, not deleted");
        assert.notEqual(runs[1]!.launchDir, runs[0]!.launchDir, "new launch directory");
        assert.ok(runs[1]!.startedAt! >= runs[0]!.finishedAt!);
      }
    });

    test("task-level rerun: a three-task job failing in task 3 runs only task 3 again", async () => {
      await using p = await testProject(d);
      const ids = await p.add(threeTasks(p.dir));
      assert.equal((await p.launch()).failed, 1);
      const failed = (await p.store.currentRuns([ids.t!])).get(ids.t!)!;
      assert.equal(failed.checkpoint?.task, 2);
      assert.match(failed.error!.stack!, /Segmentation fault/);
      writeFileSync(join(p.dir, "flag"), "");
      const r = await rerunJobs(p.store, [ids.t!], { taskLevel: true });
      assert.deepEqual(
        r.resume.map(({ jobId, startTask, dirMode, from }) => ({ jobId, startTask, dirMode, from })),
        [{ jobId: ids.t, startTask: 2, dirMode: "fresh", from: "task-level" }],
      );
      assert.equal((await p.launch()).completed, 1);
      assert.deepEqual(
        [0, 1, 2].map((i) => count(join(p.dir, `count-${i}`))),
        [1, 1, 2],
      );
      const job = await p.job(ids.t!);
      assert.deepEqual(
        job.outputs,
        { first: 1, second: 2, third: 3 },
        "outputs of the skipped tasks are kept",
      );
      assert.equal(job.recovery, null, "recovery is cleared once the job completes");
      const runs = await p.store.runsOfJobs([ids.t!], { includeArchived: true });
      assert.equal(existsSync(join(runs[1]!.launchDir!, "data.txt")), false, "default: a fresh directory");
    });

    test("--copy-data copies the previous directory; --previous-dir runs in it", async () => {
      for (const mode of ["copy", "reuse"] as const) {
        await using p = await testProject(d);
        const ids = await p.add(threeTasks(p.dir));
        await p.launch();
        writeFileSync(join(p.dir, "flag"), "");
        await rerunJobs(p.store, [ids.t!], { taskLevel: true, dirMode: mode });
        await p.launch();
        const [first, second] = await p.store.runsOfJobs([ids.t!], { includeArchived: true });
        assert.equal((await p.job(ids.t!)).state, "COMPLETED");
        if (mode === "copy") {
          assert.notEqual(second!.launchDir, first!.launchDir);
          assert.equal(readFileSync(join(second!.launchDir!, "data.txt"), "utf8"), "data\n");
        } else {
          assert.equal(second!.launchDir, first!.launchDir);
          assert.ok(
            existsSync(join(first!.launchDir!, `_ferry.run-${first!.id}`)),
            "the old run's files are kept aside",
          );
        }
      }
    });

    test("saved recovery survives a plain rerun; --clear-recovery starts from the first task", async () => {
      await using p = await testProject(d);
      const ids = await p.add(threeTasks(p.dir));
      await p.launch();
      await rerunJobs(p.store, [ids.t!], { taskLevel: true });
      await p.launch(); // fails again in task 2: counts 1,1,2
      const plain = await rerunJobs(p.store, [ids.t!]);
      assert.equal(plain.resume[0]?.startTask, 2, "a plain rerun resumes at the saved task");
      await p.launch(); // counts 1,1,3
      assert.deepEqual(
        [0, 1, 2].map((i) => count(join(p.dir, `count-${i}`))),
        [1, 1, 3],
      );
      const cleared = await rerunJobs(p.store, [ids.t!], { clearRecovery: true });
      assert.deepEqual(cleared.resume, []);
      writeFileSync(join(p.dir, "flag"), "");
      await p.launch();
      assert.deepEqual(
        [0, 1, 2].map((i) => count(join(p.dir, `count-${i}`))),
        [2, 2, 4],
      );
      assert.equal((await p.job(ids.t!)).state, "COMPLETED");
    });

    test("a task-level rerun without a checkpoint, or of a completed job, is refused", async () => {
      await using p = await testProject(d);
      const ids = await p.add(
        "name: x\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, parents: [a], sh: 'true'}\n",
      );
      await assert.rejects(rerunJobs(p.store, [ids.a!], { taskLevel: true }), /has no checkpoint/);
      await p.launch();
      await assert.rejects(
        rerunJobs(p.store, [ids.a!], { taskLevel: true }),
        /completed: a task-level rerun/,
      );
    });

    test("a running job is never orphaned: refused without --force; with it, the live run is stopped first", async () => {
      await using p = await testProject(d);
      const flag = join(p.dir, "quick");
      const ids = await p.add(`name: slow\njobs:\n  - {name: s, sh: '[ -e "${flag}" ] || sleep 30'}\n`);
      const launching = p.launch();
      for (let i = 0; i < 100 && (await p.job(ids.s!)).state !== "RUNNING"; i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(
        rerunJobs(p.store, [ids.s!]),
        (e: Error) => e instanceof ConflictError && /is RUNNING: rerunning would orphan/.test(e.message),
      );
      writeFileSync(flag, ""); // the rerun (picked up by the same launcher) finishes at once
      const r = await rerunJobs(p.store, [ids.s!], { force: true, transport: new LocalTransport() });
      assert.equal(r.stopped?.cancelled.length, 1);
      assert.equal(r.stopped?.signalled.length, 1, "the wrapper on this host was signalled");
      const summary = await launching;
      assert.equal(summary.stopped + summary.completed >= 1, true);
      const runs = await p.store.runsOfJobs([ids.s!], { includeArchived: true });
      assert.equal(runs[0]!.state, "CANCELLED");
      assert.equal(runs[0]!.archived, true);
    });

    test("a job that accepts failed parents runs after them and receives their errors", async () => {
      await using p = await testProject(d);
      p.file(
        "t.mjs",
        "export const report = (inputs) => ({ failed: inputs._failedParents.map((f) => [f.name, f.error.message, f.error.exitCode]), ok: inputs.ok });\n",
      );
      const ids = await p.add(`name: tolerant
jobs:
  - {name: good, sh: 'echo 1 > "$FERRY_OUTPUTS"'}
  - {name: bad, sh: 'echo "disk full" >&2; exit 28'}
  - {name: summary, parents: [good, bad], allowFailedParents: true, inputs: {ok: "\${{ good }}"}, js: ./t.mjs#report}
`);
      await p.launch();
      const s = await p.job(ids.summary!);
      assert.equal(s.state, "COMPLETED");
      assert.deepEqual(s.outputs, { failed: [["bad", "task 0 (sh) exited with code 28", 28]], ok: 1 });
      assert.equal(
        (await p.store.flowSummaries())[0]!.state,
        "COMPLETED",
        "the failure was absorbed by its child",
      );
    });

    test("pause, resume, cancel and reignite", async () => {
      await using p = await testProject(d);
      const ids = await p.add(
        "name: c\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, parents: [a], sh: 'true'}\n  - {name: c, sh: 'true'}\n",
      );
      const paused = await pauseJobs(p.store, [ids.b!, ids.c!]);
      assert.equal(paused.changed.length, 2);
      assert.equal((await p.launch()).completed, 1, "only a runs");
      assert.equal((await p.job(ids.b!)).state, "PAUSED");
      await resumeJobs(p.store, [ids.b!, ids.c!]);
      assert.deepEqual([(await p.job(ids.b!)).state, (await p.job(ids.c!)).state], ["READY", "READY"]);
      await cancelJobs(p.store, [ids.b!]);
      assert.equal((await p.launch()).completed, 1, "only c runs");
      assert.equal((await p.job(ids.b!)).state, "CANCELLED");
      const flowState = (await p.store.flowSummaries())[0]!.state;
      assert.equal(flowState, "CANCELLED");
      await reigniteJobs(p.store, [ids.b!]);
      assert.equal((await p.job(ids.b!)).state, "READY");
      await p.launch();
      assert.equal((await p.store.flowSummaries())[0]!.state, "COMPLETED");
    });
  });
}
