/**
 * Nothing from a launch directory or a path reaches run.sh as code (issue #8, "Security"): a
 * task number from checkpoint.json or result.json is validated before it can become
 * FERRY_START_TASK of a task-level rerun, and a newline in the launch directory's path does not
 * end a comment of the script. Real sh, the real shell scheduler, both dialects.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { detectLost } from "../src/engine/lost.ts";
import { rerunJobs } from "../src/engine/rerun.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { LocalTransport } from "../src/transport/local.ts";
import { failedResult, offlineProject, submittedRuns, writeJson } from "./bundle-hostile.test-support.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const INJECTED = "1; touch injected #";

async function waitFor(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const d of dialects()) {
  describe(`run.sh receives no value from a launch dir on ${d.name}`, { skip: d.skip }, () => {
    test("a task number in checkpoint.json or result.json never becomes FERRY_START_TASK", async () => {
      await using p = await offlineProject(d);
      const [run] = await submittedRuns(p, 1, 3);
      const t0 = Math.floor(Date.now() / 1000);
      await writeJson(run!.paths.started, {
        runId: run!.runId,
        at: t0,
        host: "n1",
        pid: 42,
        schedulerJobId: "",
      });
      await writeJson(run!.paths.checkpoint, { runId: run!.runId, task: INJECTED });
      await writeJson(run!.paths.result, failedResult(run!.runId, 1, { task: INJECTED, nextTask: INJECTED }));
      const first = await offlineRecover(p.store, p.project, { poll: false });
      assert.deepEqual(first.failed, [], "an invalid result is not a verdict");
      assert.ok(first.problems.some((x) => x.runId === run!.runId && /result\.json task is/.test(x.problem)));
      assert.equal((await p.store.getRun(run!.runId))!.checkpoint, null);

      // the genuine result arrives: the job fails at task 1, and a task-level rerun resumes there
      await writeJson(run!.paths.checkpoint, { runId: run!.runId, task: 1 });
      await writeJson(run!.paths.result, failedResult(run!.runId, 1));
      assert.deepEqual((await offlineRecover(p.store, p.project, { poll: false })).failed, [run!.jobId]);
      await rerunJobs(p.store, [run!.jobId], { taskLevel: true });
      const worker = asBatchWorker(p.project.workers.cluster!);
      const submitted = await offlineSubmit(p.store, p.project, worker);
      assert.equal(submitted.submitted.length, 1);
      const resumed = (await p.store.currentRuns([run!.jobId])).get(run!.jobId)!;
      const script = readFileSync(bundlePaths(resumed.launchDir!).script, "utf8");
      assert.match(script, /^FERRY_START_TASK=1$/m);
      await waitFor("the resumed run's result", () => existsSync(bundlePaths(resumed.launchDir!).result));
      await offlineRecover(p.store, p.project, { poll: false });
      assert.equal((await p.job(run!.jobId)).state, "COMPLETED");
      for (const dir of [run!.launchDir, resumed.launchDir!])
        assert.equal(existsSync(join(dir, "injected")), false, `a command ran in ${dir}`);
    });

    test("detect-lost does not take a pull run's checkpoint.json task as its checkpoint", async () => {
      await using p = await testProject(d);
      await p.add("name: f\njobs:\n  - name: a\n    tasks: [{sh: 'true'}, {sh: 'true'}]\n");
      const { claimed } = await claimRuns(p.store, {
        worker: { name: "local", workDir: join(p.dir, "runs"), categories: [] },
        limit: 1,
        to: "RUNNING",
        mode: "pull",
        leaseOwner: `${hostname()}:1`,
        leaseMs: 1,
        host: hostname(),
      });
      const c = claimed[0]!;
      mkdirSync(bundlePaths(c.launchDir).dir, { recursive: true });
      await writeJson(bundlePaths(c.launchDir).checkpoint, { runId: c.runId, task: INJECTED });
      const lost = await detectLost(p.store, { transport: new LocalTransport(), now: Date.now() + 10_000 });
      assert.equal(lost.length, 1);
      assert.equal(lost[0]!.verdict, "lost");
      assert.equal(
        lost[0]!.checkpoint,
        null,
        `took ${JSON.stringify(lost[0]!.checkpoint)} as the checkpoint`,
      );
    });

    test("a newline in the launch directory's path ends no comment of run.sh", async () => {
      await using p = await testProject(d, { workDir: "runs\ntouch pwned #" });
      const ids = await p.add(
        `name: f\njobs:\n  - {name: a, sh: 'echo "{\\"ok\\": true}" > "$FERRY_OUTPUTS"'}\n`,
      );
      const summary = await p.launch();
      assert.equal(summary.completed, 1);
      const run = (await p.store.currentRuns([ids.a!])).get(ids.a!)!;
      assert.match(run.launchDir!, /\n/);
      assert.deepEqual((await p.job(ids.a!)).outputs, { ok: true });
      assert.equal(existsSync(join(run.launchDir!, "pwned")), false, "the rest of the path ran as a command");
      const comments = readFileSync(bundlePaths(run.launchDir!).script, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("#"));
      assert.ok(
        comments.every((l) => !l.includes("runs") && !l.includes("pwned")),
        `a comment holds the path: ${JSON.stringify(comments)}`,
      );
    });
  });
}
