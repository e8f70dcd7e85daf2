/**
 * Batch workers on a real SLURM cluster: many ferry jobs run by a few pilot allocations that
 * take staged bundles from the folder queue (src/batch/), driven by offline submit / recover.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { LocalTransport } from "../src/transport/local.ts";
import {
  entriesByPilot,
  executions,
  localLog,
  slurmJobsUnder,
  tinyJobs,
  waitUntil,
} from "./helpers/batch.ts";
import { skipUnless } from "./helpers/components.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("slurm");

function batchWorker(batch: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    batch: {
      mode: "offline",
      scheduler: "slurm",
      workDir: "runs",
      heartbeatSeconds: 5,
      statusIntervalSeconds: 1,
      defaultResources: { walltime: "5:00" },
      batch,
      ...extra,
    },
  };
}

async function states(p: TestProject): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const j of Object.values(await p.jobs())) out[j.state] = (out[j.state] ?? 0) + 1;
  return out;
}

describe("batch workers on SLURM", { skip }, () => {
  test("200 jobs through 3 pilot allocations: each job COMPLETED and run exactly once, only pilots submitted", async () => {
    await using p = await testProject(dialects()[0]!, {}, {
      workers: batchWorker({ maxJobs: 70, maxWallTime: "10:00", parallel: 2, lingerSeconds: 3 }, { maxQueued: 3 }),
    });
    const log = join(p.dir, "executions.log");
    await p.add(tinyJobs("many", 200, log));
    const worker = asBatchWorker(p.project.workers.batch!);
    const since = new Date(Date.now() - 2000);
    const first = await offlineSubmit(p.store, p.project, worker);
    assert.equal(first.submitted.length, 200, "every job queued");
    assert.ok(first.submitted.every((s) => s.schedulerId === null), "queued, not submitted one by one");
    assert.equal(first.pilots?.submitted.length, 3, "ceil(200 / 70) = 3 pilots");
    assert.equal((await states(p)).SUBMITTED, 200);
    await waitUntil("every job to complete", async () => {
      await offlineRecover(p.store, p.project);
      return (await states(p)).COMPLETED === 200;
    });
    const seen = executions(localLog(log));
    assert.equal(seen.size, 200, "every job ran");
    assert.deepEqual([...new Set(seen.values())], [1], "no job ran twice");
    const runs = await p.store.runsOfJobs(Object.values(await p.jobs()).map((j) => j.id));
    const pilotIds = new Set(first.pilots!.submitted.map((s) => s.schedulerId));
    assert.ok(runs.every((r) => pilotIds.has(r.schedulerId ?? "")), "each run carries the id of the pilot that ran it");
    const done = await entriesByPilot(new LocalTransport(), worker.workDir, "done");
    assert.equal(done.size, 3, "all three pilots ran jobs");
    for (const [token, list] of done) assert.ok(list.length <= 70, `pilot ${token} ran ${list.length} > maxJobs`);
    let accounted: { id: string; name: string }[] = [];
    await waitUntil("sacct to list the pilots", async () => {
      accounted = await slurmJobsUnder((s) => new LocalTransport().exec(s), p.dir, since);
      return accounted.length >= 3;
    }, 60_000);
    assert.deepEqual(
      accounted.map((a) => a.id).sort(),
      [...pilotIds].sort(),
      "the scheduler saw the 3 pilots and nothing else",
    );
  });
});
