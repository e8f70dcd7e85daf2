/**
 * Batch workers on a real SLURM cluster: many ferry jobs run by a few pilot allocations that
 * take staged bundles from the folder queue (src/batch/), driven by offline submit / recover.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { cancelJobs } from "../src/engine/control.ts";
import { rerunJobs } from "../src/engine/rerun.ts";
import { cancelSchedulerJobs } from "../src/offline/cancel.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { LocalTransport } from "../src/transport/local.ts";
import {
  doneWhenSettled,
  entriesByPilot,
  executions,
  localLog,
  slurmJobsUnder,
  tinyJobs,
  waitUntil,
} from "./helpers/batch.ts";
import { skipUnless } from "./helpers/components.ts";
import { processesMentioning } from "./helpers/proc.ts";
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

/** Project folders of this file's tests: a failed test's pilots are cancelled, not left to sleep. */
const folders: string[] = [];

async function cancelLeftovers(): Promise<void> {
  const t = new LocalTransport();
  const q = await t.exec({ argv: ["squeue", "-h", "-o", "%i|%Z"] });
  const ids = q.stdout
    .split("\n")
    .map((l) => l.split("|"))
    .filter(([, dir]) => folders.some((f) => dir?.startsWith(f)))
    .map(([id]) => id!);
  if (ids.length > 0) await t.exec({ argv: ["scancel", ...ids] });
  folders.length = 0;
}

describe("batch workers on SLURM", { skip }, () => {
  afterEach(cancelLeftovers);

  test("200 jobs through 3 pilot allocations: each job COMPLETED and run exactly once, only pilots submitted", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 70, maxWallTime: "10:00", parallel: 2, lingerSeconds: 3 },
          { maxQueued: 3 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    await p.add(tinyJobs("many", 200, log));
    const worker = asBatchWorker(p.project.workers.batch!);
    const since = new Date(Date.now() - 2000);
    const first = await offlineSubmit(p.store, p.project, worker);
    assert.equal(first.submitted.length, 200, "every job queued");
    assert.ok(
      first.submitted.every((s) => s.schedulerId === null),
      "queued, not submitted one by one",
    );
    assert.equal(first.pilots?.submitted.length, 3, "ceil(200 / 70) = 3 pilots");
    assert.equal((await states(p)).SUBMITTED, 200);
    await waitUntil("every job to complete", async () => {
      await offlineRecover(p.store, p.project);
      return (await states(p)).COMPLETED === 200;
    });
    folders.push(p.dir);
    const seen = executions(localLog(log));
    assert.equal(seen.size, 200, "every job ran");
    assert.deepEqual([...new Set(seen.values())], [1], "no job ran twice");
    const runs = await p.store.runsOfJobs(Object.values(await p.jobs()).map((j) => j.id));
    const pilotIds = new Set(first.pilots!.submitted.map((s) => s.schedulerId));
    const ranIn = runs.map(
      (r) => JSON.parse(readFileSync(bundlePaths(r.launchDir!).started, "utf8")).schedulerJobId,
    );
    assert.ok(
      ranIn.every((id) => pilotIds.has(id)),
      `every job ran inside a pilot: ${[...new Set(ranIn)]}`,
    );
    assert.ok(
      runs.every((r) => r.schedulerId === null || pilotIds.has(r.schedulerId)),
      "a run followed through the scheduler carries its pilot's id",
    );
    const done = await doneWhenSettled(new LocalTransport(), worker.workDir);
    assert.equal(done.size, 3, "all three pilots ran jobs");
    for (const [token, list] of done)
      assert.ok(list.length <= 70, `pilot ${token} ran ${list.length} > maxJobs`);
    let accounted: { id: string; name: string }[] = [];
    await waitUntil(
      "sacct to list the pilots",
      async () => {
        accounted = await slurmJobsUnder((s) => new LocalTransport().exec(s), p.dir, since);
        return accounted.length >= 3;
      },
      60_000,
    );
    assert.deepEqual(
      accounted.map((a) => a.id).sort(),
      [...pilotIds].sort(),
      "the scheduler saw the 3 pilots and nothing else",
    );
  });

  test("pilots racing on one queue never take the same bundle", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 100, maxWallTime: "10:00", parallel: 4, lingerSeconds: 3 },
          { maxQueued: 2 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    await p.add(tinyJobs("race", 120, log));
    const worker = asBatchWorker(p.project.workers.batch!);
    const s = await offlineSubmit(p.store, p.project, worker);
    assert.equal(s.pilots?.submitted.length, 2);
    await waitUntil("every job to complete", async () => {
      await offlineRecover(p.store, p.project);
      return (await states(p)).COMPLETED === 120;
    });
    folders.push(p.dir);
    const seen = executions(localLog(log));
    assert.equal(seen.size, 120);
    assert.deepEqual([...new Set(seen.values())], [1], "no job ran twice");
    const done = await doneWhenSettled(new LocalTransport(), worker.workDir);
    const all = [...done.values()].flat();
    assert.equal(all.length, 120, "one done entry per job");
    assert.equal(new Set(all).size, 120, "no entry taken twice");
    assert.equal(done.size, 2, "both pilots took jobs (maxJobs 100 each: neither could take all 120)");
  });

  test("a pilot cancelled mid-job: the pilot passes TERM to its job, which is FAILED saying so and rerunnable, the rest run by other pilots", async (ctx) => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 3, maxWallTime: "10:00", parallel: 1, lingerSeconds: 2 },
          { maxQueued: 2 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    const once = JSON.stringify(join(p.dir, "once"));
    const q = JSON.stringify(log);
    const slow = `  - name: slow\n    sh: |\n      if [ -f ${once} ]; then echo slow >> ${q}; else touch ${once}; echo slow-first >> ${q}; sleep 300; fi\n`;
    await p.add(tinyJobs("cancel", 5, log).replace("jobs:\n", `jobs:\n${slow}`));
    const worker = asBatchWorker(p.project.workers.batch!);
    const first = await offlineSubmit(p.store, p.project, worker);
    assert.equal(first.pilots?.submitted.length, 2);
    const ids = Object.fromEntries(Object.entries(await p.jobs()).map(([k, j]) => [k, j.id]));
    await waitUntil("the slow job to run", async () => {
      await offlineRecover(p.store, p.project);
      return (await p.job(ids.slow!)).state === "RUNNING";
    });
    folders.push(p.dir);
    const [slowRun] = await p.store.runsOfJobs([ids.slow!]);
    const pilotId = JSON.parse(readFileSync(bundlePaths(slowRun!.launchDir!).started, "utf8")).schedulerJobId;
    assert.ok(first.pilots!.submitted.some((x) => x.schedulerId === pilotId));
    const cancel = await new LocalTransport().exec({ argv: ["scancel", pilotId] });
    assert.equal(cancel.exitCode, 0, cancel.stderr);
    await waitUntil("the slow job to fail and the others to complete", async () => {
      await offlineRecover(p.store, p.project);
      await offlineSubmit(p.store, p.project, worker);
      const st = await states(p);
      return st.FAILED === 1 && st.COMPLETED === 5;
    });
    const failed = await p.job(ids.slow!);
    assert.equal(failed.state, "FAILED");
    const [run] = await p.store.runsOfJobs([ids.slow!]);
    assert.ok(run!.error, "the run says why");
    ctx.diagnostic(
      `the cancelled job: ${run!.error!.message} (reason ${run!.error!.reason}, signal ${run!.error!.signal})`,
    );
    // scancel signals the pilot's shell; the pilot passed TERM on to the job's wrapper
    assert.equal(run!.error!.signal, "TERM", JSON.stringify(run!.error));
    assert.match(run!.error!.message, /stopped by SIGTERM/);
    // nobody put the bundle back: it is still where the cancelled pilot left it, or done
    const taken = [...(await entriesByPilot(new LocalTransport(), worker.workDir, "taken")).values()].flat();
    const done = [...(await entriesByPilot(new LocalTransport(), worker.workDir, "done")).values()].flat();
    assert.equal([...taken, ...done].filter((e) => e === `r${String(run!.id).padStart(12, "0")}`).length, 1);
    await rerunJobs(p.store, [ids.slow!]);
    await waitUntil("the rerun to complete", async () => {
      await offlineSubmit(p.store, p.project, worker);
      await offlineRecover(p.store, p.project);
      return (await p.job(ids.slow!)).state === "COMPLETED";
    });
    const seen = executions(localLog(log));
    assert.deepEqual(
      Object.fromEntries([...seen].sort()),
      { j0: 1, j1: 1, j2: 1, j3: 1, j4: 1, slow: 1, "slow-first": 1 },
      "each job ran once, the cancelled one once more after its rerun",
    );
  });

  test("walltime fit: a job longer than a pilot's time left waits for another pilot; longer than maxWallTime is HELD", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 10, maxWallTime: 60, parallel: 1, lingerSeconds: 1 },
          { maxQueued: 1 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    const q = JSON.stringify(log);
    await p.add(`name: fit
jobs:
  - name: first
    resources: {walltime: 50}
    sh: 'sleep 12; echo first >> ${q.replaceAll("'", "''")}'
  - name: second
    resources: {walltime: 50}
    sh: 'echo second >> ${q.replaceAll("'", "''")}'
  - name: huge
    resources: {walltime: "2:00:00"}
    sh: 'echo huge >> ${q.replaceAll("'", "''")}'
`);
    const worker = asBatchWorker(p.project.workers.batch!);
    const ids = Object.fromEntries(Object.entries(await p.jobs()).map(([k, j]) => [k, j.id]));
    const s = await offlineSubmit(p.store, p.project, worker);
    assert.equal(s.pilots?.submitted.length, 1);
    assert.equal(s.held.length, 1);
    assert.match(s.held[0]!.message, /longer than the batch pilots' maxWallTime/);
    assert.equal((await p.job(ids.huge!)).state, "HELD");
    const pilot1 = s.pilots!.submitted[0]!.token;
    await waitUntil("first and second to complete", async () => {
      await offlineRecover(p.store, p.project);
      await offlineSubmit(p.store, p.project, worker);
      return (
        (await p.job(ids.second!)).state === "COMPLETED" && (await p.job(ids.first!)).state === "COMPLETED"
      );
    });
    folders.push(p.dir);
    const done = await doneWhenSettled(new LocalTransport(), worker.workDir);
    const runOf = async (id: number) =>
      `r${String((await p.store.runsOfJobs([id]))[0]!.id).padStart(12, "0")}`;
    assert.deepEqual(done.get(pilot1), [await runOf(ids.first!)], "the first pilot ran only the first job");
    const other = [...done].filter(([t]) => t !== pilot1);
    assert.deepEqual(
      other.flatMap(([, e]) => e),
      [await runOf(ids.second!)],
      "another pilot ran the second",
    );
    const out = readFileSync(join(worker.workDir, "_queue", "pilots", pilot1, "pilot.out"), "utf8");
    assert.match(out, /needs 50s; left for another pilot/);
  });

  test("maxJobs: a pilot ends after maxJobs jobs", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 2, maxWallTime: "5:00", parallel: 2, lingerSeconds: 1 },
          { maxQueued: 1 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    await p.add(tinyJobs("cap", 5, log));
    const worker = asBatchWorker(p.project.workers.batch!);
    const s = await offlineSubmit(p.store, p.project, worker);
    assert.equal(s.pilots?.submitted.length, 1, "maxQueued 1");
    await waitUntil("every job to complete", async () => {
      await offlineRecover(p.store, p.project);
      await offlineSubmit(p.store, p.project, worker);
      return (await states(p)).COMPLETED === 5;
    });
    folders.push(p.dir);
    const done = await doneWhenSettled(new LocalTransport(), worker.workDir);
    assert.deepEqual(
      [...done.values()].map((e) => e.length).sort(),
      [1, 2, 2],
      "three pilots in turn: 2 + 2 + 1",
    );
    assert.deepEqual([...new Set(executions(localLog(log)).values())], [1]);
  });

  test("ferry cancel of a job a pilot is running stops that job only; the pilot runs the next", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 10, maxWallTime: "10:00", parallel: 1, lingerSeconds: 2 },
          { maxQueued: 1 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    const q = JSON.stringify(log);
    const long = `  - name: long\n    sh: 'echo long >> ${q.replaceAll("'", "''")}; sleep 300'\n`;
    await p.add(tinyJobs("stop-one", 2, log).replace("jobs:\n", `jobs:\n${long}`));
    const ids = Object.fromEntries(Object.entries(await p.jobs()).map(([k, j]) => [k, j.id]));
    const worker = asBatchWorker(p.project.workers.batch!);
    const s = await offlineSubmit(p.store, p.project, worker);
    assert.equal(s.pilots?.submitted.length, 1);
    await waitUntil("the long job to run", async () => {
      await offlineRecover(p.store, p.project);
      return (await p.job(ids.long!)).state === "RUNNING";
    });
    folders.push(p.dir);
    const [run] = await p.store.runsOfJobs([ids.long!]);
    const cancelled = await cancelJobs(p.store, [ids.long!], {
      reason: "not needed",
      cancelScheduled: (runs) => cancelSchedulerJobs(p.project, runs),
    });
    assert.deepEqual(cancelled.stopped?.problems ?? [], []);
    assert.equal((await p.job(ids.long!)).state, "CANCELLED");
    await waitUntil(
      "the other jobs to complete in the same pilot",
      async () => {
        await offlineRecover(p.store, p.project);
        return (await states(p)).COMPLETED === 2;
      },
      60_000,
    );
    const result = JSON.parse(readFileSync(bundlePaths(run!.launchDir!).result, "utf8"));
    assert.equal(result.signal, "TERM", "its run.sh was sent TERM and said so");
    const done = await doneWhenSettled(new LocalTransport(), worker.workDir);
    assert.equal(done.get(s.pilots!.submitted[0]!.token)?.length, 3, "one pilot ran all three");
    assert.equal((await p.job(ids.long!)).state, "CANCELLED", "its result was not collected over the cancel");
  });

  test("a pilot and its job killed with SIGKILL: the job vanished — FINISHED, then FAILED with the scheduler's word", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: batchWorker(
          { maxJobs: 5, maxWallTime: "10:00", parallel: 1, lingerSeconds: 1 },
          { maxQueued: 1 },
        ),
      },
    );
    const log = join(p.dir, "executions.log");
    const q = JSON.stringify(log);
    await p.add(
      `name: killed\njobs:\n  - name: victim\n    sh: 'echo victim >> ${q.replaceAll("'", "''")}; sleep 300'\n`,
    );
    const ids = Object.fromEntries(Object.entries(await p.jobs()).map(([k, j]) => [k, j.id]));
    const worker = asBatchWorker(p.project.workers.batch!);
    const s = await offlineSubmit(p.store, p.project, worker);
    const pilotId = s.pilots!.submitted[0]!.schedulerId;
    await waitUntil("the job to run", async () => {
      await offlineRecover(p.store, p.project);
      return (await p.job(ids.victim!)).state === "RUNNING";
    });
    folders.push(p.dir);
    const [running] = await p.store.runsOfJobs([ids.victim!]);
    assert.equal(running!.schedulerId, pilotId, "a taken run is followed through its pilot's id");
    // every process of the pilot and of its job at once, as an OOM killer or a node crash does:
    // nothing gets to write a result (a scancel would let the wrapper record its TERM)
    // slurmd runs the batch script from its spool as job<id>/slurm_script
    const pilotPids = processesMentioning(`/job${pilotId.padStart(5, "0")}/slurm_script`);
    const jobPids = processesMentioning(running!.launchDir!);
    const wrapper = JSON.parse(readFileSync(bundlePaths(running!.launchDir!).started, "utf8")).pid;
    assert.ok(pilotPids.length >= 2, `the pilot and its slot: ${pilotPids}`);
    assert.ok(jobPids.includes(wrapper), `the job's wrapper ${wrapper}: ${jobPids}`);
    const pids = new Set([...pilotPids, ...jobPids]);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const seen = new Set<string>();
    await waitUntil("the job to fail as vanished", async () => {
      await offlineRecover(p.store, p.project);
      const state = (await p.job(ids.victim!)).state;
      seen.add(state);
      return state === "FAILED";
    });
    assert.ok(seen.has("FINISHED"), `FINISHED first (the result may only be late): ${[...seen]}`);
    const [run] = await p.store.runsOfJobs([ids.victim!]);
    assert.match(run!.error!.message, /without writing a result/);
    assert.ok(!existsSync(bundlePaths(run!.launchDir!).result), "no result was written");
    const taken = [...(await entriesByPilot(new LocalTransport(), worker.workDir, "taken")).values()].flat();
    assert.equal(taken.length, 1, "its entry stays taken: nobody puts it back");
    // nothing else runs it: a second pilot finds an empty queue
    await offlineSubmit(p.store, p.project, worker);
    assert.deepEqual(executions(localLog(log)), new Map([["victim", 1]]));
  });
});
