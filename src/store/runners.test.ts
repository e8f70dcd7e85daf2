/** The runner daemon's lease rows, on both dialects: one holder per worker, expiry, the stop flag. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialects } from "../../test/helpers/stores.ts";

for (const d of dialects()) {
  describe(`runner leases on ${d.name}`, { skip: d.skip }, () => {
    test("a worker has one holder until its lease expires; renewal, release and stop free it", async () => {
      await using t = await d.open();
      const s = t.store;
      await s.insertRunner({ id: "a", host: "h1", pid: 1, now: 0, logPath: null });
      await s.insertRunner({ id: "b", host: "h2", pid: 2, now: 0, logPath: "/x.jsonl" });
      assert.equal(await s.takeWorkerLease("w", "a", 1000, 31_000), true);
      assert.equal(await s.takeWorkerLease("w", "b", 2000, 32_000), false, "a holds it");
      assert.equal(await s.takeWorkerLease("w", "a", 10_000, 40_000), true, "a renews");
      assert.equal(await s.takeWorkerLease("w", "b", 39_999, 70_000), false, "not yet expired");
      assert.equal(await s.takeWorkerLease("w", "b", 40_001, 70_000), true, "expired: b takes it");
      assert.equal(
        await s.recordWorkerState(
          "w",
          "a",
          { state: "ok", failures: 0, lastError: null, lastCycleAt: 1, nextCycleAt: 2 },
          1,
        ),
        false,
        "a no longer holds it: its view is not recorded",
      );
      assert.equal(
        await s.recordWorkerState(
          "w",
          "b",
          { state: "backoff", failures: 2, lastError: "probe: ssh down", lastCycleAt: 5, nextCycleAt: 9 },
          5,
        ),
        true,
      );
      const [row] = await s.listRunnerWorkers();
      assert.deepEqual(
        { ...row, updatedAt: 0 },
        {
          worker: "w",
          runnerId: "b",
          leaseExpiresAt: 70_000,
          state: "backoff",
          failures: 2,
          lastError: "probe: ssh down",
          lastCycleAt: 5,
          nextCycleAt: 9,
          updatedAt: 0,
        },
      );
      assert.equal(await s.releaseWorkerLease("w", "a", 6), false, "only the holder gives it back");
      assert.equal(await s.releaseWorkerLease("w", "b", 6), true);
      assert.equal(await s.takeWorkerLease("w", "a", 7, 100), true, "free again");
      await s.markRunnerStopped("a", 8);
      assert.equal((await s.listRunnerWorkers())[0]!.runnerId, null, "a stopped runner holds nothing");
      assert.deepEqual(
        (await s.listRunners()).map((r) => r.id),
        ["b"],
      );
    });

    test("the stop flag, the heartbeat, and a row closed by another runner", async () => {
      await using t = await d.open();
      const s = t.store;
      await s.insertRunner({ id: "a", host: "h1", pid: 11, now: 0, logPath: null });
      await s.insertRunner({ id: "b", host: "h2", pid: 12, now: 0, logPath: null });
      assert.equal((await s.heartbeatRunner("a", 500))!.heartbeatAt, 500);
      assert.equal(await s.requestRunnerStop("b"), 1);
      assert.equal((await s.heartbeatRunner("b", 600))!.stopRequested, true);
      assert.equal((await s.heartbeatRunner("a", 700))!.stopRequested, false, "only b was asked");
      await s.markRunnerStopped("a", 800);
      assert.equal(await s.heartbeatRunner("a", 900), undefined, "closed: the heartbeat says so");
      assert.equal(await s.reviveRunner("a", 1000), true);
      assert.equal((await s.heartbeatRunner("a", 1100))!.heartbeatAt, 1100);
      await s.markRunnerStopped("b", 1200);
      assert.equal(await s.reviveRunner("b", 1300), false, "a runner asked to stop is not revived");
      assert.equal(await s.requestRunnerStop(), 1, "every runner still running");
    });
  });
}
