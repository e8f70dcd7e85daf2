/**
 * Batched claims never claim a job twice (issue #13): 8 claimers, each with its own connection,
 * claim 10,000 READY jobs in batches of different sizes until none is left — separate
 * processes making the engine call a pull launcher makes. Every job must end up claimed exactly once, with exactly
 * one run (attempt 1, its own launch directory) and one READY → RUNNING event naming that run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addFlow } from "../src/engine/add-flow.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { flow } from "../src/flow/builder.ts";
import type { Store } from "../src/store/store.ts";
import { startClaimer } from "./helpers/claimer.ts";
import { dialects } from "./helpers/stores.ts";

const JOBS = 10_000;
const BATCHES = [1, 7, 16, 16, 32, 64, 64, 100];

/** In this process (the rerun case needs no competition). */
async function claimUntilEmpty(store: Store, batch: number, owner: string) {
  const mine: { jobId: number; runId: number; launchDir: string }[] = [];
  for (;;) {
    const { claimed } = await claimRuns(store, {
      worker: { name: "local", workDir: "/scratch/runs", categories: [] },
      limit: batch,
      to: "RUNNING",
      mode: "pull",
      leaseOwner: owner,
      leaseMs: 60_000,
      host: "test",
    });
    if (claimed.length === 0) return mine;
    for (const c of claimed) mine.push({ jobId: c.job.id, runId: c.runId, launchDir: c.launchDir });
  }
}

for (const d of dialects()) {
  describe(`8 claimers on ${d.name}`, { skip: d.skip }, () => {
    test(`${JOBS} READY jobs: each claimed exactly once, one run and one event each`, async (t) => {
      await using ts = await d.open();
      const f = flow("many");
      for (let i = 0; i < JOBS; i++) f.job(`j${i}`, { sh: "true" });
      const { flowId } = await addFlow(ts.store, f.build());
      // separate processes, as launchers are: in one process SQLite's writer that just
      // committed takes the lock again before the others' retries wake up. All 8 race for their
      // first batch together and each holds it before the free-for-all, so that every one of them
      // competes (on SQLite one claimer could otherwise take every batch; seen in CI)
      const claimers = BATCHES.map((b, i) => startClaimer(ts.target, b, `claimer-${i}`, { hold: true }));
      await Promise.all(claimers.map((c) => c.ready));
      for (const c of claimers) c.go();
      await Promise.all(claimers.map((c) => c.first));
      for (const c of claimers) c.go();
      const results = await Promise.all(claimers.map((c) => c.done));
      const seconds =
        (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
      t.diagnostic(
        `${(JOBS / seconds).toFixed(0)} claims/s, 8 claimer processes, batches ${BATCHES.join(", ")}`,
      );
      const got = results.map((r) => r.claims);

      const all = got.flat();
      assert.equal(all.length, JOBS, "claims in all");
      assert.equal(new Set(all.map((c) => c.jobId)).size, JOBS, "no job claimed twice");
      assert.deepEqual(
        got.map((g) => g.length >= 1),
        BATCHES.map(() => true),
        "every claimer got at least its first batch",
      );

      const jobs = await ts.store.findJobs({ flowIds: [flowId] });
      assert.deepEqual(new Set(jobs.map((j) => j.state)), new Set(["RUNNING"]));
      const runs = await ts.store.findRuns({ includeArchived: true });
      assert.equal(runs.length, JOBS, "one run per job");
      const claimedRun = new Map(all.map((c) => [c.jobId, c]));
      for (const r of runs) {
        const c = claimedRun.get(r.jobId)!;
        assert.equal(r.id, c.runId);
        assert.equal(r.attempt, 1);
        assert.equal(r.state, "RUNNING");
        assert.equal(r.launchDir, c.launchDir);
        assert.match(r.launchDir!, new RegExp(`^/scratch/runs/flow-${flowId}/j\\d+-${r.id}$`));
      }
      for (const id of [all[0]!.jobId, all[JOBS >> 1]!.jobId, all.at(-1)!.jobId]) {
        const events = await ts.store.getEvents(id);
        assert.deepEqual(
          events.map((e) => [e.from, e.to, e.runId]),
          [
            [null, "READY", null],
            ["READY", "RUNNING", claimedRun.get(id)!.runId],
          ],
        );
      }
      const counts = await ts.store.db.all<{ n: number }>(
        "SELECT count(*) AS n FROM job_events WHERE to_state = 'RUNNING' GROUP BY job_id HAVING count(*) <> 1",
      );
      assert.deepEqual(counts, [], "one RUNNING event per job");
    });

    test("a rerun job is claimed again as attempt 2, with a new run and launch directory", async () => {
      await using ts = await d.open();
      const f = flow("again");
      f.job("a", { sh: "true" });
      const { jobIds } = await addFlow(ts.store, f.build());
      const [first] = await claimUntilEmpty(ts.store, 10, "one");
      await ts.store.transaction(async (tx) => {
        await tx.archiveRuns([jobIds.a!], Date.now());
        await tx.transitionJobs([jobIds.a!], {
          from: ["RUNNING"],
          to: "READY",
          reason: "rerun",
          now: Date.now(),
        });
      });
      const [second] = await claimUntilEmpty(ts.store, 10, "two");
      assert.notEqual(second!.runId, first!.runId);
      assert.notEqual(second!.launchDir, first!.launchDir);
      const runs = await ts.store.runsOfJobs([jobIds.a!], { includeArchived: true });
      assert.deepEqual(
        runs.map((r) => [r.id, r.attempt, r.archived]),
        [
          [first!.runId, 1, true],
          [second!.runId, 2, false],
        ],
      );
    });
  });
}
