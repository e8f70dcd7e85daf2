/**
 * Batch workers without a cluster: the shell scheduler starts the pilots as local processes, so
 * the whole path (enqueue, pilots, recover) and the submitter's crash window run everywhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { queuePaths } from "../src/batch/layout.ts";
import { readPilots } from "../src/batch/pilots.ts";
import { newLeaseOwner } from "../src/engine/lifecycle/index.ts";
import { adoptAbandoned } from "../src/offline/adopt.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker, workerScheduler } from "../src/offline/worker-exec.ts";
import { LocalTransport } from "../src/transport/local.ts";
import { executions, localLog, tinyJobs, waitUntil } from "./helpers/batch.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const shellBatch = (batch: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  cluster: {
    mode: "offline",
    scheduler: "shell",
    workDir: "runs",
    heartbeatSeconds: 1,
    statusIntervalSeconds: 0.2,
    batch,
    ...extra,
  },
});

for (const d of dialects()) {
  test(`40 jobs through shell-scheduler pilots, each exactly once (${d.name})`, {
    skip: d.skip,
  }, async () => {
    await using p = await testProject(
      d,
      {},
      {
        workers: shellBatch(
          { maxJobs: 15, maxWallTime: 600, parallel: 2, lingerSeconds: 1 },
          { maxQueued: 2 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    await p.add(tinyJobs("local", 40, log));
    const worker = asBatchWorker(p.project.workers.cluster!);
    const first = await offlineSubmit(p.store, p.project, worker);
    assert.equal(first.submitted.length, 40);
    assert.equal(first.pilots?.submitted.length, 2, "ceil(40 / 15) = 3, but maxQueued 2");
    await waitUntil(
      "every job to complete",
      async () => {
        await offlineRecover(p.store, p.project);
        await offlineSubmit(p.store, p.project, worker);
        return (await p.store.countJobs({ states: ["COMPLETED"] })) === 40;
      },
      120_000,
    );
    const seen = executions(localLog(log));
    assert.equal(seen.size, 40);
    assert.deepEqual([...new Set(seen.values())], [1]);
    const pilots = await readPilots(new LocalTransport(), queuePaths(worker.workDir));
    assert.ok(pilots.length >= 3, `at least 3 pilots for 40 jobs of 15 at most: ${pilots.length}`);
  });
}

/** This machine, but a writeMany into ready/ "dies" right after it wrote: the submitter's crash window. */
class DiesAfterEnqueue extends LocalTransport {
  override async writeMany(files: Parameters<LocalTransport["writeMany"]>[0]): Promise<void> {
    await super.writeMany(files);
    if (files.some((f) => f.path.includes("/_queue/ready/")))
      throw new Error("killed after the entries were written");
  }
}

test("a submitter killed between the queue entries and their record: adopt takes them as handed over, never releases them", async () => {
  await using p = await testProject(
    dialects()[0]!,
    {},
    {
      workers: shellBatch({ maxJobs: 10, maxWallTime: 600, parallel: 1, lingerSeconds: 1 }),
    },
  );
  const log = join(p.dir, "executions.log");
  await p.add(tinyJobs("crash", 4, log));
  const worker = asBatchWorker(p.project.workers.cluster!);
  await assert.rejects(
    offlineSubmit(p.store, p.project, worker, { transport: new DiesAfterEnqueue() }),
    /killed after/,
  );
  assert.equal(await p.store.countJobs({ states: ["STAGED"] }), 4, "entries written, runs not recorded");
  const t = new LocalTransport();
  const adopted = await adoptAbandoned(p.store, worker, {
    transport: t,
    ws: workerScheduler(worker, undefined, t),
    owner: newLeaseOwner(t.host),
    now: () => Date.now() + 11 * 60_000, // the dead submitter's lease has expired
  });
  assert.deepEqual(adopted.released, [], "nothing released to READY: a pilot would run the old bundle");
  assert.equal(await p.store.countJobs({ states: ["SUBMITTED"] }), 4);
  await waitUntil(
    "every job to complete",
    async () => {
      await offlineSubmit(p.store, p.project, worker);
      await offlineRecover(p.store, p.project);
      return (await p.store.countJobs({ states: ["COMPLETED"] })) === 4;
    },
    60_000,
  );
  assert.deepEqual([...new Set(executions(localLog(log)).values())], [1], "each ran once");
  assert.equal(executions(localLog(log)).size, 4);
});
