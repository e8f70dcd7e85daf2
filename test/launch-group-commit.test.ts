/**
 * Group commits of the pull launcher (src/launcher/group-commit.ts): completions that arrive
 * during a flush share the next transaction; a chain's next link is claimed in the transaction
 * that completes its parent; and a COMMIT whose answer was lost (the connection dropped after
 * the database committed) is retried without losing, repeating or miscounting anything.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { GroupCommit } from "../src/launcher/group-commit.ts";
import { launch } from "../src/launcher/launch.ts";
import { StoreError } from "../src/model/errors.ts";
import { FerryEvents } from "../src/model/events.ts";
import type { Store } from "../src/store/store.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

/** The store, with `transaction` counted, and failing after its COMMIT for the calls in `loseAnswerOf`. */
function flakyStore(store: Store, loseAnswerOf: ReadonlySet<number>): { store: Store; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "transaction") {
        return async <T>(fn: Parameters<Store["transaction"]>[0]): Promise<T> => {
          const n = ++calls;
          const result = (await target.transaction(fn)) as T;
          if (loseAnswerOf.has(n))
            throw new StoreError(`connection lost during COMMIT (transaction ${n})`, { retryable: true });
          return result;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store: wrapped, calls: () => calls };
}

/** The real launcher of project `p`, on `store` (the project's store wrapped). */
function launchOn(store: Store, p: TestProject) {
  return launch(store, {
    project: p.project,
    worker: p.project.workers.local!,
    events: new FerryEvents(),
    concurrency: 2,
    maxPollMs: 100,
  });
}

test("items added while a flush is in flight go together into the next flush", async () => {
  const batches: number[][] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const g = new GroupCommit<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items.map((i) => i * 10);
  });
  const first = g.add(1);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const rest = [2, 3, 4, 5].map((i) => g.add(i));
  release();
  assert.deepEqual(await Promise.all([first, ...rest]), [10, 20, 30, 40, 50]);
  assert.deepEqual(batches, [[1], [2, 3, 4, 5]]);
});

test("a failed flush rejects every item of its batch, and the next batch still runs", async () => {
  let n = 0;
  const g = new GroupCommit<number, number>(async (items) => {
    if (++n === 1) throw new Error("database down");
    return items;
  });
  await assert.rejects(g.add(1), /database down/);
  assert.equal(await g.add(2), 2);
});

for (const d of dialects()) {
  describe(`group commits on ${d.name}`, { skip: d.skip }, () => {
    test("a chain of 20 runs in about one transaction per link (completion, release and next claim together)", async () => {
      await using p = await testProject(d);
      const jobs = Array.from(
        { length: 20 },
        (_, i) => `  - {name: c${i}, sh: 'true'${i > 0 ? `, parents: [c${i - 1}]` : ""}}`,
      );
      await p.add(`name: chain\njobs:\n${jobs.join("\n")}\n`);
      const counted = flakyStore(p.store, new Set());
      const s = await launchOn(counted.store, p);
      assert.equal(s.completed, 20);
      // before group commits: a claim and a completion per link (40 or more); now one per link,
      // plus the few idle polls of the lane the chain leaves free (more on a loaded machine)
      assert.ok(counted.calls() < 30, `${counted.calls()} transactions for 20 links`);
    });

    test("COMMIT answers lost: every job runs once, completes once, and is counted as completed", async () => {
      await using p = await testProject(d, { leaseSeconds: 3 });
      const ledger = join(p.dir, "ledger");
      writeFileSync(ledger, "");
      const jobs = Array.from(
        { length: 12 },
        (_, i) =>
          `  - {name: j${i}, sh: 'echo ${i} >> "${ledger}"'${i >= 6 ? `, parents: [j${i - 6}]` : ""}}`,
      );
      const ids = await p.add(`name: lost\njobs:\n${jobs.join("\n")}\n`);
      // lose the answer of every third transaction: claims, completions and both together
      const flaky = flakyStore(p.store, new Set([2, 3, 5, 8, 11, 14, 17, 20]));
      const s = await launchOn(flaky.store, p);
      const states = await Promise.all(Object.values(ids).map(async (id) => (await p.job(id)).state));
      assert.deepEqual(new Set(states), new Set(["COMPLETED"]));
      assert.deepEqual(
        readFileSync(ledger, "utf8")
          .trim()
          .split("\n")
          .map(Number)
          .sort((a, b) => a - b),
        Array.from({ length: 12 }, (_, i) => i),
        "each job ran exactly once",
      );
      assert.equal(s.completed, 12, "a completion replayed after a lost answer counts as completed");
      assert.equal(s.stopped, 0);
      for (const id of Object.values(ids)) {
        const runs = await p.store.runsOfJobs([id], { includeArchived: true });
        const done = runs.filter((r) => r.state === "COMPLETED");
        assert.equal(done.length, 1, `job ${id}: one completed run`);
      }
    });
  });
}
