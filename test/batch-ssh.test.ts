/**
 * A batch worker reached only through SSH (a real sshd on loopback, SLURM behind it): offline
 * submit and recover drive the folder queue, the bundles and sbatch/squeue/sacct through one
 * SshTransport; 200 jobs run in 3 pilot allocations, each exactly once.
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { after, before, test } from "node:test";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import { SshTransport } from "../src/transport/ssh/index.ts";
import { doneWhenSettled, executions, slurmJobsUnder, tinyJobs, waitUntil } from "./helpers/batch.ts";
import { skipUnless } from "./helpers/components.ts";
import { testProject } from "./helpers/project.ts";
import { SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("sshd", "slurm");
let lab: SshLab;
let t: SshTransport;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  await lab.server("login");
  t = new SshTransport(lab.transportOptions("login"));
});
after(async () => {
  await t?.close();
  await lab?.[Symbol.asyncDispose]();
});

test("200 jobs through 3 pilots over SSH: each COMPLETED exactly once, only pilots submitted", {
  skip,
}, async (ctx) => {
  const remote = lab.remoteDir();
  const workDir = posix.join(remote, "runs");
  await using p = await testProject(
    dialects()[0]!,
    {},
    {
      workers: {
        hpc: {
          mode: "offline",
          scheduler: "slurm",
          workDir,
          heartbeatSeconds: 5,
          statusIntervalSeconds: 1,
          defaultResources: { walltime: "5:00" },
          maxQueued: 3,
          batch: { maxJobs: 70, maxWallTime: "10:00", parallel: 2, lingerSeconds: 3 },
        },
      },
    },
  );
  const log = posix.join(remote, "executions.log");
  await p.add(tinyJobs("over-ssh", 200, log));
  const worker = asBatchWorker(p.project.workers.hpc!);
  const since = new Date(Date.now() - 2000);
  const t0 = Date.now();
  const first = await offlineSubmit(p.store, p.project, worker, { transport: t });
  const t1 = Date.now();
  assert.equal(first.submitted.length, 200);
  assert.equal(first.pilots?.submitted.length, 3);
  await waitUntil("every job to complete", async () => {
    await offlineRecover(p.store, p.project, { transport: t });
    return (await p.store.countJobs({ states: ["COMPLETED"] })) === 200;
  });
  ctx.diagnostic(
    `submit (stage 200 bundles, enqueue, 3 pilots) ${t1 - t0} ms; until all collected ${Date.now() - t1} ms`,
  );
  const seen = executions((await t.read(log, { within: remote })) ?? "");
  assert.equal(seen.size, 200, "every job ran");
  assert.deepEqual([...new Set(seen.values())], [1], "no job ran twice");
  const done = await doneWhenSettled(t, workDir);
  assert.equal([...done.values()].flat().length, 200);
  const pilotIds = first.pilots!.submitted.map((s) => s.schedulerId).sort();
  let accounted: { id: string }[] = [];
  await waitUntil(
    "sacct to list the pilots",
    async () => {
      accounted = await slurmJobsUnder((s) => t.exec(s), remote, since);
      return accounted.length >= 3;
    },
    60_000,
  );
  assert.deepEqual(
    accounted.map((a) => a.id).sort(),
    pilotIds,
    "the scheduler saw the 3 pilots and nothing else",
  );
  const who = await t.exec({ argv: ["stat", "-c", "%U", posix.join(workDir, "_queue", "ready")] });
  assert.equal(who.stdout.trim(), lab.user, "the queue belongs to the login user");
});
