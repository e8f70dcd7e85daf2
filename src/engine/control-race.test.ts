/**
 * rerun, cancel and pause decide inside their transaction (issue #8): a launcher on another host
 * claims the job after the command looked at it (a dry run, a confirmation prompt) and before
 * its transaction. Here the claim is made, through a second connection, exactly when the
 * command opens its transaction: whatever the command read before that is stale.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { testProject } from "../../test/helpers/project.ts";
import { dialects } from "../../test/helpers/stores.ts";
import { ConflictError } from "../model/errors.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { claimRuns } from "./claim.ts";
import { cancelJobs, pauseJobs } from "./control.ts";
import { rerunJobs } from "./rerun.ts";

/** Make `store`'s next transaction start only after another launcher claimed `jobId`. */
function claimBeforeNextTransaction(store: Store, other: Store, jobId: number, workDir: string): void {
  const original = store.transaction.bind(store);
  store.transaction = (async (fn: Parameters<Store["transaction"]>[0]) => {
    store.transaction = original;
    const got = await claimRuns(other, {
      worker: { name: "local", workDir, categories: [] },
      limit: 1,
      to: "RUNNING",
      mode: "pull",
      leaseOwner: "elsewhere:1:abc",
      leaseMs: 60_000,
      host: "elsewhere",
      jobIds: [jobId],
    });
    assert.equal(got.claimed.length, 1, "the other launcher claimed the job");
    return original(fn);
  }) as Store["transaction"];
}

for (const d of dialects()) {
  describe(`a claim between a command's look and its change, on ${d.name}`, { skip: d.skip }, () => {
    async function setup() {
      const p = await testProject(d);
      const ids = await p.add("name: race\njobs:\n  - {name: a, sh: 'sleep 30'}\n");
      const other = await openStore(p.project.database);
      const jobId = ids.a!;
      assert.equal((await p.job(jobId)).state, "READY");
      claimBeforeNextTransaction(p.store, other, jobId, p.project.workers.local!.workDir);
      return {
        p,
        jobId,
        async [Symbol.asyncDispose]() {
          await other.close();
          await p[Symbol.asyncDispose]();
        },
      };
    }

    test("rerun refuses to orphan the run that just started (it never archives a live run)", async () => {
      await using s = await setup();
      await assert.rejects(
        rerunJobs(s.p.store, [s.jobId]),
        (e: Error) =>
          e instanceof ConflictError && /is RUNNING: rerunning would orphan a live run/.test(e.message),
      );
      const runs = await s.p.store.runsOfJobs([s.jobId], { includeArchived: true });
      assert.deepEqual(
        runs.map((r) => [r.state, r.archived]),
        [["RUNNING", false]],
        "the live run is neither archived nor cancelled",
      );
      assert.equal((await s.p.job(s.jobId)).state, "RUNNING", "and the job is not READY for a second copy");
    });

    test("cancel stops the run that just started instead of leaving it RUNNING", async () => {
      await using s = await setup();
      const r = await cancelJobs(s.p.store, [s.jobId]);
      assert.equal((await s.p.job(s.jobId)).state, "CANCELLED");
      const [run] = await s.p.store.runsOfJobs([s.jobId]);
      assert.equal(run?.state, "CANCELLED", "its launcher sees the run cancelled at its next beat");
      assert.deepEqual(r.stopped?.delegated, [run!.id], "the launcher on the other host stops it");
      assert.deepEqual(
        r.live?.map((l) => l.runId),
        [run!.id],
      );
    });

    test("pause reports that it changed nothing when the job started running", async () => {
      await using s = await setup();
      const r = await pauseJobs(s.p.store, [s.jobId]);
      assert.deepEqual(r.changed, []);
      assert.deepEqual(
        r.skipped.map((x) => [x.id, x.state]),
        [[s.jobId, "RUNNING"]],
      );
      assert.equal((await s.p.job(s.jobId)).state, "RUNNING");
    });
  });
}
