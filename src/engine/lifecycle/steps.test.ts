/**
 * The lifecycle steps on both dialects: each moves a run from the state it is guarded on, and a
 * second call changes nothing (the runner retries steps with backoff); a takeover is won by one
 * of two adopters; lost is FAILED + LOST in one transaction.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { dialects } from "../../../test/helpers/stores.ts";
import { flow } from "../../flow/builder.ts";
import type { Store } from "../../store/store.ts";
import { LocalTransport } from "../../transport/local.ts";
import { addFlow } from "../add-flow.ts";
import { claimRuns } from "../claim.ts";
import {
  failVanished,
  findAbandonedSubmissions,
  holdRun,
  recordLost,
  recordStart,
  recordSubmission,
  recordVanished,
  releaseRun,
  stageRuns,
  takeOverRuns,
} from "./index.ts";

const OWNER = "login1:1:aaaaaa";

async function reserved(store: Store, n = 1, owner = OWNER) {
  const f = flow("steps");
  for (let i = 0; i < n; i++) f.job(`j${i}`, { sh: "true" });
  f.job("child", { sh: "true", parents: Array.from({ length: n }, (_, i) => `j${i}`) });
  const { jobIds } = await addFlow(store, f.build());
  const { claimed } = await claimRuns(store, {
    worker: { name: "w", workDir: "/scratch", categories: [] },
    limit: n,
    to: "RESERVED",
    mode: "offline",
    leaseOwner: owner,
    leaseMs: 60_000,
    host: "login1",
  });
  return { claimed, child: jobIds.child! };
}

const states = async (store: Store, runId: number) => {
  const run = (await store.getRun(runId))!;
  return [(await store.getJob(run.jobId))!.state, run.state];
};
const eventCount = async (store: Store, jobId: number) => (await store.getEvents(jobId)).length;

for (const d of dialects()) {
  describe(`lifecycle steps on ${d.name}`, { skip: d.skip }, () => {
    test("stage → submit → start → vanish → fail: each step once, the second call changes nothing", async () => {
      await using t = await d.open();
      const s = t.store;
      const { claimed } = await reserved(s);
      const c = claimed[0]!;
      const item = [{ runId: c.runId, jobId: c.job.id }];
      const now = Date.now();
      const stage = { now, leaseOwner: OWNER, leaseExpiresAt: now + 60_000 };
      assert.deepEqual(await s.transaction((tx) => stageRuns(tx, item, stage)), [c.runId]);
      assert.deepEqual(await s.transaction((tx) => stageRuns(tx, item, stage)), []);
      assert.deepEqual(await states(s, c.runId), ["STAGED", "STAGED"]);
      const sub = { runId: c.runId, schedulerId: "42", reason: "submitted as 42", now };
      assert.equal(await s.transaction((tx) => recordSubmission(tx, sub)), true);
      const events = await eventCount(s, c.job.id);
      assert.equal(await s.transaction((tx) => recordSubmission(tx, sub)), false);
      assert.equal(await eventCount(s, c.job.id), events);
      const run = (await s.getRun(c.runId))!;
      assert.deepEqual([run.state, run.schedulerId, run.leaseOwner], ["SUBMITTED", "42", null]);
      const start = { runId: c.runId, startedAt: now, host: "node7", heartbeatAt: now, now };
      assert.equal(await s.transaction((tx) => recordStart(tx, start)), true);
      assert.equal(await s.transaction((tx) => recordStart(tx, start)), false);
      assert.deepEqual(await states(s, c.runId), ["RUNNING", "RUNNING"]);
      const vanish = { runId: c.runId, schedulerState: "timeout", reason: "left the queue", now };
      assert.equal(await s.transaction((tx) => recordVanished(tx, vanish)), true);
      assert.equal(await s.transaction((tx) => recordVanished(tx, vanish)), false);
      assert.deepEqual(await states(s, c.runId), ["FINISHED", "FINISHED"]);
      const error = {
        message: "walltime",
        stack: null,
        exitCode: null,
        signal: null,
        task: null,
        reason: "walltime" as const,
      };
      const fail = { runId: c.runId, error, checkpoint: null, now };
      assert.equal((await s.transaction((tx) => failVanished(tx, fail))).applied, true);
      assert.equal((await s.transaction((tx) => failVanished(tx, fail))).applied, false);
      assert.deepEqual(await states(s, c.runId), ["FAILED", "FAILED"]);
      const history = (await s.getEvents(c.job.id)).map((e) => e.to);
      assert.deepEqual(history, [
        "READY",
        "RESERVED",
        "STAGED",
        "SUBMITTED",
        "RUNNING",
        "FINISHED",
        "FAILED",
      ]);
    });

    test("a submission recorded after the run was seen starting adds the id and keeps RUNNING", async () => {
      await using t = await d.open();
      const s = t.store;
      const c = (await reserved(s)).claimed[0]!;
      const now = Date.now();
      await s.transaction((tx) =>
        stageRuns(tx, [{ runId: c.runId, jobId: c.job.id }], {
          now,
          leaseOwner: OWNER,
          leaseExpiresAt: null,
        }),
      );
      await s.transaction((tx) =>
        recordStart(tx, { runId: c.runId, startedAt: now, host: "n", heartbeatAt: now, now }),
      );
      assert.equal(
        await s.transaction((tx) =>
          recordSubmission(tx, { runId: c.runId, schedulerId: "9", reason: "x", now }),
        ),
        false,
      );
      const run = (await s.getRun(c.runId))!;
      assert.deepEqual([run.state, run.schedulerId], ["RUNNING", "9"]);
    });

    test("stage only takes runs whose lease is still the stager's", async () => {
      await using t = await d.open();
      const s = t.store;
      const c = (await reserved(s)).claimed[0]!;
      const now = Date.now();
      const staged = await s.transaction((tx) =>
        stageRuns(tx, [{ runId: c.runId, jobId: c.job.id }], {
          now,
          leaseOwner: "other:2:bbbbbb",
          leaseExpiresAt: null,
        }),
      );
      assert.deepEqual(staged, []);
      assert.deepEqual(await states(s, c.runId), ["RESERVED", "RESERVED"]);
    });

    test("hold and release: HELD with the reason, or back to READY; once each", async () => {
      await using t = await d.open();
      const s = t.store;
      const { claimed } = await reserved(s, 2);
      const [a, b] = claimed as [(typeof claimed)[0], (typeof claimed)[0]];
      const now = Date.now();
      const error = {
        message: "sbatch: not found",
        stack: null,
        exitCode: null,
        signal: null,
        task: null,
        reason: "submit" as const,
      };
      assert.equal(await s.transaction((tx) => holdRun(tx, { runId: a.runId, error, now })), true);
      assert.equal(await s.transaction((tx) => holdRun(tx, { runId: a.runId, error, now })), false);
      assert.deepEqual(await states(s, a.runId), ["HELD", "FAILED"]);
      assert.equal((await s.getJob(a.job.id))!.heldFrom, "READY");
      const rel = { runId: b.runId, reason: "never staged", now, leaseOwner: OWNER };
      assert.equal(await s.transaction((tx) => releaseRun(tx, rel)), true);
      assert.equal(await s.transaction((tx) => releaseRun(tx, rel)), false);
      assert.deepEqual(await states(s, b.runId), ["READY", "INTERRUPTED"]);
    });

    test("lost: the job FAILED and the run LOST together, once; the children see a failed parent", async () => {
      await using t = await d.open();
      const s = t.store;
      const { claimed, child } = await reserved(s);
      const c = claimed[0]!;
      const now = Date.now();
      await s.transaction((tx) =>
        recordStart(tx, { runId: c.runId, startedAt: now, host: "n", heartbeatAt: now, now }),
      );
      const lost = { runId: c.runId, why: "no heartbeat", checkpoint: { task: 0, at: now }, now };
      assert.equal((await s.transaction((tx) => recordLost(tx, lost))).applied, true);
      assert.equal((await s.transaction((tx) => recordLost(tx, lost))).applied, false);
      assert.deepEqual(await states(s, c.runId), ["FAILED", "LOST"]);
      const run = (await s.getRun(c.runId))!;
      assert.deepEqual([run.error?.reason, run.checkpoint?.task], ["lost", 0]);
      assert.equal((await s.getJob(child))!.state, "WAITING");
    });

    test("two processes adopting a dead submitter's runs at once: each run goes to one of them", async () => {
      await using t = await d.open();
      const local = new LocalTransport();
      const ghost = spawn(process.execPath, ["-e", ""]);
      const pid = await new Promise<number>((r) => ghost.on("exit", () => r(ghost.pid!)));
      const dead = `${local.host}:${pid}:cccccc`;
      await reserved(t.store, 6, dead);
      const found = await findAbandonedSubmissions(t.store, {
        transport: local,
        modes: ["offline"],
        now: Date.now(),
      });
      assert.equal(
        found.length,
        6,
        "the owner's pid is gone on this host: abandoned before its lease expires",
      );
      const other = await t.reopen();
      const take = (s: Store, owner: string) =>
        s.transaction((tx) =>
          takeOverRuns(tx, found, { owner, leaseExpiresAt: Date.now() + 60_000, now: Date.now() }),
        );
      const [x, y] = await Promise.all([take(t.store, "a:1:000001"), take(other, "b:2:000002")]);
      assert.equal(x.length + y.length, 6);
      assert.equal(new Set([...x, ...y].map((r) => r.id)).size, 6);
      const alive = await findAbandonedSubmissions(t.store, {
        transport: local,
        modes: ["offline"],
        now: Date.now(),
      });
      assert.equal(alive.length, 0, "taken runs are protected by their new lease");
    });
  });
}
