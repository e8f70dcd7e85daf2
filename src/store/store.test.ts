/** The store suite: the same tests on SQLite and PostgreSQL (test/helpers/stores.ts). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialects } from "../../test/helpers/stores.ts";
import { addFlow } from "../engine/add-flow.ts";
import { applyOutcome, applyOutcomes } from "../engine/outcome.ts";
import { flow } from "../flow/builder.ts";
import { StoreError } from "../model/errors.ts";
import { InvalidTransitionError } from "../model/states.ts";
import { loadMigrations } from "./migrate.ts";
import { openStore } from "./open.ts";
import type { Store } from "./store.ts";

function diamond(name = "diamond") {
  const f = flow(name);
  const a = f.job("a", { sh: "true" });
  const b = f.job("b", { sh: "true", parents: [a] });
  const c = f.job("c", { sh: "true", parents: [a], allowFailedParents: true });
  f.job("d", { sh: "true", parents: [b, c] });
  return f.build();
}

const claimOpts = (limit: number, now = Date.now()) => ({
  limit,
  worker: "w",
  categories: [] as string[],
  to: "RUNNING" as const,
  mode: "pull" as const,
  leaseOwner: "test",
  leaseExpiresAt: now + 60_000,
  host: "h",
  now,
});

async function complete(store: Store, jobId: number, state: "COMPLETED" | "FAILED", outputs: unknown = null) {
  const run = (await store.currentRuns([jobId])).get(jobId)!;
  return store.transaction((tx) =>
    applyOutcome(
      tx,
      run.id,
      {
        state,
        outputs: outputs as never,
        actions: [],
        error: null,
        exitCode: 0,
        checkpoint: null,
        finishedAt: Date.now(),
      },
      Date.now(),
    ),
  );
}

async function states(store: Store, flowId: number): Promise<Record<string, string>> {
  return Object.fromEntries((await store.findJobs({ flowIds: [flowId] })).map((j) => [j.name, j.state]));
}

for (const d of dialects()) {
  describe(`store on ${d.name}`, { skip: d.skip }, () => {
    test("migrations: applied once, idempotent on reopen, concurrent opens are safe", async () => {
      const { target, dispose } = await d.newTarget();
      try {
        const stores = await Promise.all([openStore(target), openStore(target), openStore(target)]);
        const again = await openStore(target);
        const rows = await again.db.all<{ version: number }>(
          "SELECT version FROM ferry_migrations ORDER BY version",
        );
        assert.deepEqual(
          rows.map((r) => Number(r.version)),
          loadMigrations(d.name).map((m) => m.version),
        );
        for (const s of [...stores, again]) await s.close();
      } finally {
        await dispose();
      }
    });

    test("a database made by an older ferry (schema 1) is brought up to date with its jobs kept", async () => {
      const { target, dispose } = await d.newTarget();
      try {
        const old = await openStore(target);
        const { jobIds } = await addFlow(old, diamond());
        // what ferry 0.1.0 left behind: no scheduler_polls, no job options (4), no runner leases
        // (5), schema version 1
        await old.db.exec("DROP TABLE scheduler_polls");
        await old.db.exec("DROP TABLE runners");
        await old.db.exec("DROP TABLE runner_workers");
        for (const c of ["label", "env", "pre_run", "on_missing_reference"])
          await old.db.exec(`ALTER TABLE jobs DROP COLUMN ${c}`);
        await old.db.run("DELETE FROM ferry_migrations WHERE version > 1");
        await old.close();
        const store = await openStore(target);
        assert.equal((await store.getJob(jobIds.a!))!.state, "READY");
        assert.deepEqual(await store.takePollSlot("w", 1, 1000), { taken: true });
        assert.deepEqual(await store.listRunners(), []);
        await store.close();
      } finally {
        await dispose();
      }
    });

    test("a database newer than the code is refused", async () => {
      await using t = await d.open();
      await t.store.db.run("INSERT INTO ferry_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        999,
        "future",
        Date.now(),
      ]);
      await assert.rejects(
        t.reopen(),
        (e: Error) => e instanceof StoreError && /schema version 999.*upgrade ferry/.test(e.message),
      );
    });

    test("adding a flow is atomic: a failure half-way leaves nothing", async () => {
      await using t = await d.open();
      const spec = diamond();
      spec.jobs.push({ ...spec.jobs[0]! }); // duplicate name: the unique index fails after the flow row went in
      await assert.rejects(addFlow(t.store, spec));
      assert.equal((await t.store.flowSummaries()).length, 0);
      assert.equal(await t.store.countJobs({ includeArchived: true }), 0);
    });

    test("roots are READY, others WAITING with their count of unfinished parents", async () => {
      await using t = await d.open();
      const { flowId } = await addFlow(t.store, diamond());
      const jobs = await t.store.findJobs({ flowIds: [flowId] });
      assert.deepEqual(
        jobs.map((j) => [j.name, j.state, j.unfinishedParents]),
        [
          ["a", "READY", 0],
          ["b", "WAITING", 1],
          ["c", "WAITING", 1],
          ["d", "WAITING", 2],
        ],
      );
      assert.equal((await t.store.flowSummaries({ ids: [flowId] }))[0]!.state, "READY");
    });

    test("claims go by priority, then age", async () => {
      await using t = await d.open();
      const f = flow("p");
      f.job("low", { sh: "true", priority: -1 });
      f.job("first", { sh: "true" });
      f.job("high", { sh: "true", priority: 5 });
      f.job("second", { sh: "true" });
      await addFlow(t.store, f.build());
      const order: string[] = [];
      for (;;) {
        const got = await t.store.transaction((tx) => tx.claimReady(claimOpts(1)));
        if (got.length === 0) break;
        order.push(got[0]!.job.name);
      }
      assert.deepEqual(order, ["high", "first", "second", "low"]);
    });

    test("concurrent claimers never take the same job twice", async () => {
      await using t = await d.open();
      const f = flow("many");
      for (let i = 0; i < 120; i++) f.job(`j${i}`, { sh: "true" });
      await addFlow(t.store, f.build());
      const others = await Promise.all([t.reopen(), t.reopen(), t.reopen()]);
      const claimed = await Promise.all(
        [t.store, ...others].map(async (s) => {
          const mine: number[] = [];
          for (;;) {
            const got = await s.transaction((tx) => tx.claimReady(claimOpts(3)));
            if (got.length === 0) return mine;
            mine.push(...got.map((g) => g.job.id));
          }
        }),
      );
      const all = claimed.flat();
      assert.equal(all.length, 120);
      assert.equal(new Set(all).size, 120);
      const runs = await t.store.findRuns({});
      assert.equal(runs.length, 120, "one run per claim");
    });

    test("completing a job releases its children; failing releases only children that accept failed parents", async () => {
      await using t = await d.open();
      const { flowId, jobIds } = await addFlow(t.store, diamond());
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      const done = await complete(t.store, jobIds.a!, "COMPLETED", { v: 1 });
      assert.deepEqual(done.promoted.sort(), [jobIds.b!, jobIds.c!].sort());
      assert.deepEqual(await states(t.store, flowId), {
        a: "COMPLETED",
        b: "READY",
        c: "READY",
        d: "WAITING",
      });
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      await complete(t.store, jobIds.b!, "FAILED");
      assert.equal(
        (await t.store.getJob(jobIds.d!))!.unfinishedParents,
        2,
        "d does not accept failed parents",
      );
      await complete(t.store, jobIds.c!, "COMPLETED");
      assert.deepEqual(await states(t.store, flowId), {
        a: "COMPLETED",
        b: "FAILED",
        c: "COMPLETED",
        d: "WAITING",
      });
      assert.equal((await t.store.flowSummaries({ ids: [flowId] }))[0]!.state, "FAILED");
      assert.deepEqual((await t.store.getJob(jobIds.a!))!.outputs, { v: 1 });
    });

    test("a failed parent releases a child that accepts failed parents, and the flow can complete", async () => {
      await using t = await d.open();
      const f = flow("tolerant");
      const a = f.job("a", { sh: "true" });
      f.job("b", { sh: "true", parents: [a], allowFailedParents: true });
      const { flowId, jobIds } = await addFlow(t.store, f.build());
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      const r = await complete(t.store, jobIds.a!, "FAILED");
      assert.deepEqual(r.promoted, [jobIds.b!]);
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      await complete(t.store, jobIds.b!, "COMPLETED");
      assert.equal((await t.store.flowSummaries({ ids: [flowId] }))[0]!.state, "COMPLETED");
    });

    test("an outcome is applied exactly once", async () => {
      await using t = await d.open();
      const { jobIds } = await addFlow(t.store, diamond());
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      const first = await complete(t.store, jobIds.a!, "COMPLETED");
      const run = (await t.store.runsOfJobs([jobIds.a!]))[0]!;
      const second = await t.store.transaction((tx) =>
        applyOutcome(
          tx,
          run.id,
          {
            state: "FAILED",
            outputs: null,
            actions: [],
            error: null,
            exitCode: 1,
            checkpoint: null,
            finishedAt: Date.now(),
          },
          Date.now(),
        ),
      );
      assert.equal(first.applied, true);
      assert.equal(second.applied, false);
      assert.equal((await t.store.getJob(jobIds.a!))!.state, "COMPLETED");
      assert.equal((await t.store.getJob(jobIds.b!))!.unfinishedParents, 0, "children released once");
    });

    test("a batch of outcomes: each applied once, values kept exactly, a stale one recorded as such", async () => {
      await using t = await d.open();
      const f = flow("batch");
      const roots = Array.from({ length: 4 }, (_, i) => f.job(`r${i}`, { sh: "true" }));
      f.job("child", { sh: "true", parents: [roots[0]!, roots[1]!] });
      const { jobIds } = await addFlow(t.store, f.build());
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10)));
      const runs = await t.store.currentRuns(roots.map((_, i) => jobIds[`r${i}`]!));
      const runOf = (i: number) => runs.get(jobIds[`r${i}`]!)!.id;
      await complete(t.store, jobIds.r3!, "COMPLETED", { early: true }); // collected before the batch
      const at = 1_700_000_000_123;
      const outcome = (state: "COMPLETED" | "FAILED", outputs: unknown, extra = {}) => ({
        state,
        outputs: outputs as never,
        actions: [],
        error:
          state === "FAILED"
            ? {
                message: "exit 3",
                stack: "line 1\nline 2 'quoted'",
                exitCode: 3,
                signal: null,
                task: 0,
                reason: "task-failed" as const,
              }
            : null,
        exitCode: state === "FAILED" ? 3 : 0,
        checkpoint: null,
        finishedAt: at,
        ...extra,
      });
      const results = await t.store.transaction((tx) =>
        applyOutcomes(
          tx,
          [
            { runId: runOf(0), outcome: outcome("COMPLETED", { x: 1.5, s: "a'b", n: null, list: [1, "2"] }) },
            { runId: runOf(1), outcome: outcome("COMPLETED", 42, { startedAt: at - 1000, host: "node7" }) },
            { runId: runOf(2), outcome: outcome("FAILED", null) },
            { runId: runOf(3), outcome: outcome("FAILED", null) },
          ],
          Date.now(),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.applied),
        [true, true, true, false],
      );
      assert.deepEqual((await t.store.getJob(jobIds.r0!))!.outputs, {
        x: 1.5,
        s: "a'b",
        n: null,
        list: [1, "2"],
      });
      assert.equal((await t.store.getJob(jobIds.r1!))!.outputs, 42);
      assert.equal((await t.store.getJob(jobIds.r2!))!.state, "FAILED");
      assert.deepEqual(
        (await t.store.getJob(jobIds.r3!))!.outputs,
        { early: true },
        "the stale result changed nothing",
      );
      const r1 = (await t.store.getRuns([runOf(1)]))[0]!;
      assert.deepEqual(
        [r1.state, r1.finishedAt, r1.startedAt, r1.host],
        ["COMPLETED", at, at - 1000, "node7"],
      );
      const r2 = (await t.store.getRuns([runOf(2)]))[0]!;
      assert.deepEqual([r2.exitCode, r2.error?.stack], [3, "line 1\nline 2 'quoted'"]);
      assert.equal((await t.store.getJob(jobIds.child!))!.state, "READY", "both parents released it");
    });

    test("the scheduler poll slot: one taker per interval, per worker, across connections", async () => {
      const { target, dispose } = await d.newTarget();
      const stores = await Promise.all([openStore(target), openStore(target), openStore(target)]);
      try {
        const take = (s: Store, worker: string, now: number) => s.takePollSlot(worker, now, 30_000);
        assert.deepEqual(await take(stores[0]!, "slurm", 1_000_000), { taken: true }, "the first ask");
        assert.deepEqual(await take(stores[1]!, "slurm", 1_010_000), { taken: false, lastAt: 1_000_000 });
        assert.deepEqual(await take(stores[1]!, "sge", 1_010_000), { taken: true }, "workers are apart");
        const racing = await Promise.all(stores.map((s) => take(s, "slurm", 1_030_000)));
        assert.equal(racing.filter((r) => r.taken).length, 1, "exactly one of three racing processes asks");
        assert.deepEqual(await take(stores[2]!, "slurm", 1_040_000), { taken: false, lastAt: 1_030_000 });
      } finally {
        for (const s of stores) await s.close();
        await dispose();
      }
    });

    test("every transition writes a history row; a forbidden one rolls the transaction back", async () => {
      await using t = await d.open();
      const { jobIds } = await addFlow(t.store, diamond());
      await assert.rejects(
        t.store.transaction(async (tx) => {
          await tx.transitionJobs([jobIds.a!], {
            from: ["READY"],
            to: "PAUSED",
            reason: "x",
            now: Date.now(),
          });
          await tx.transitionJobs([jobIds.b!], {
            from: ["WAITING"],
            to: "COMPLETED",
            reason: "x",
            now: Date.now(),
          });
        }),
        InvalidTransitionError,
      );
      assert.equal((await t.store.getJob(jobIds.a!))!.state, "READY");
      assert.deepEqual(
        (await t.store.getEvents(jobIds.a!)).map((e) => `${e.from}->${e.to}`),
        ["null->READY"],
      );
    });

    test("leases: renewed by their owner only", async () => {
      await using t = await d.open();
      await addFlow(t.store, diamond());
      const now = Date.now();
      await t.store.transaction((tx) => tx.claimReady(claimOpts(10, now)));
      assert.equal(await t.store.renewLeases("someone-else", now + 5, now), 0);
      assert.equal(await t.store.renewLeases("test", now + 999_999, now + 1), 1);
      const run = (await t.store.findRuns({ leaseOwner: "test" }))[0]!;
      assert.equal(run.leaseExpiresAt, now + 999_999);
    });

    test("selectors: names by glob, states, flows", async () => {
      await using t = await d.open();
      const one = await addFlow(t.store, diamond("one"));
      await addFlow(t.store, diamond("two"));
      assert.equal((await t.store.findJobs({ names: ["[ab]"] })).length, 4);
      assert.equal((await t.store.findJobs({ names: ["*"], flowIds: [one.flowId] })).length, 4);
      assert.deepEqual(
        (await t.store.findJobs({ states: ["READY"] })).map((j) => j.name),
        ["a", "a"],
      );
      assert.equal((await t.store.findJobs({ names: ["a%"] })).length, 0, "% is not a wildcard");
    });
  });
}
