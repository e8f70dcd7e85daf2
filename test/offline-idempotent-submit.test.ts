/**
 * Never submitted twice, on real schedulers: a submission whose outcome is unknown is looked up
 * by the run's job name before anything is submitted again. Two ways to get there — the
 * submitter dies between the scheduler's answer and its record (a kill -9 right after sbatch or
 * qsub returned), and a submit command that fails with a "try again" answer although it queued
 * the job (slurmctld's "Socket timed out on send/recv operation" under load).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { runNameOf } from "../src/offline/request.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker, workerScheduler } from "../src/offline/worker-exec.ts";
import { jobsNamed } from "../src/schedulers/common/names.ts";
import { execLocal } from "../src/transport/local.ts";
import { ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  scheduler: "slurm" | "sge";
  component: "slurm" | "sge";
  submit: string;
  hold: string[];
  release: (id: string) => string[];
  /** Commands of this scheduler need this environment on the test machine (SGE_ROOT). */
  env: string[];
}

const CASES: Case[] = [
  {
    scheduler: "slurm",
    component: "slurm",
    submit: "sbatch",
    hold: ["--hold"],
    release: (id) => ["scontrol", "release", id],
    env: [],
  },
  {
    scheduler: "sge",
    component: "sge",
    submit: "qsub",
    hold: ["-h"],
    release: (id) => ["qrls", id],
    env: [`SGE_ROOT=${process.env.SGE_ROOT ?? "/var/lib/gridengine"}`],
  },
];

const worker = (c: Case, hold: boolean, prefix: string[] = []) => ({
  cluster: {
    mode: "offline",
    scheduler: c.scheduler,
    workDir: "runs",
    heartbeatSeconds: 2,
    statusIntervalSeconds: 0.5,
    node: process.execPath,
    commandPrefix: ["env", ...c.env, ...prefix],
    defaultResources: { walltime: "5:00", ...(hold ? { custom: c.hold } : {}) },
  },
});

/** Wraps the submit command: runs it, then does `after` instead of reporting back normally. */
function afterSubmit(c: Case, after: string): string[] {
  return [
    "sh",
    "-c",
    `if [ "$1" = ${c.submit} ]; then "$@" >/dev/null; ${after}; fi; exec "$@"`,
    "ferry-test-prefix",
  ];
}

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function queued(p: TestProject, jobId: number): Promise<string[]> {
  const w = asBatchWorker(p.project.workers.cluster!);
  const ws = workerScheduler(w);
  const run = (await p.store.currentRuns([jobId])).get(jobId)!;
  const job = await p.job(jobId);
  const name = runNameOf(w, ws, job, run.id, run.launchDir!);
  const listing = ws.scheduler.parseNameLookup(await ws.exec(ws.scheduler.nameLookupCommand([name])));
  assert.equal(listing.failure, null);
  return (jobsNamed(listing, [name]).get(name) ?? []).map((j) => j.id);
}

async function complete(p: TestProject, jobId: number): Promise<void> {
  const end = Date.now() + 180_000;
  for (;;) {
    await offlineRecover(p.store, p.project);
    if ((await p.job(jobId)).state === "COMPLETED") return;
    if (Date.now() > end) throw new Error(`job ${jobId} is ${(await p.job(jobId)).state}`);
    await sleep(1000);
  }
}

for (const c of CASES) {
  describe(`idempotent submission on ${c.scheduler}`, { skip: skipUnless(c.component) }, () => {
    test(`the submitter killed right after ${c.submit} returned: the next submit finds the job by its name and does not submit it again`, async () => {
      await using p = await testProject(dialects()[0]!, {}, { workers: worker(c, true) });
      const ids = await p.add(
        `name: once\njobs:\n  - {name: a, sh: 'echo x >> "${p.dir}/ran"; echo 7 > "$FERRY_OUTPUTS"'}\n`,
      );
      // what the CLI process reads: the same worker, with a prefix that kills it after the submission
      const raw = JSON.parse(readFileSync(join(p.dir, "ferry.yaml"), "utf8"));
      raw.workers.cluster.commandPrefix = [
        "env",
        ...c.env,
        ...afterSubmit(c, `kill -9 $PPID; while [ ! -e "${p.dir}/go" ]; do sleep 0.1; done; exit 0`),
      ];
      writeFileSync(join(p.dir, "ferry.yaml"), JSON.stringify(raw));
      const dead = await ferry(["offline", "submit"], { cwd: p.dir });
      assert.equal(dead.code, null, `killed by SIGKILL: ${dead.stderr}`);
      assert.equal((await p.job(ids.a!)).state, "STAGED");
      const inQueue = await queued(p, ids.a!);
      assert.equal(inQueue.length, 1, "the scheduler has it (held, so it has not started)");
      // the dead submitter's submit command is still running (as sbatch may outlive a kill -9 of
      // its parent): nothing is decided while it could still queue the job
      const early = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      assert.deepEqual([early.adopted.found, early.adopted.released, early.submitted], [[], [], []]);
      assert.equal((await p.job(ids.a!)).state, "STAGED", "left for a later look");
      writeFileSync(join(p.dir, "go"), ""); // the submit command ends
      await until("the submit command to end", async () => {
        const ps = await execLocal({ argv: ["ps", "-A", "-ww", "-o", "args="] });
        return !ps.stdout.includes(p.dir);
      });
      const s = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      assert.deepEqual(
        s.adopted.found.map((f) => f.schedulerId),
        inQueue,
        "found by its name and recorded",
      );
      assert.deepEqual(s.submitted, [], "nothing submitted again");
      const run = (await p.store.currentRuns([ids.a!])).get(ids.a!)!;
      assert.deepEqual([run.state, run.schedulerId], ["SUBMITTED", inQueue[0]]);
      assert.deepEqual(await queued(p, ids.a!), inQueue, "still one job of that name");
      const rel = await execLocal({ argv: ["env", ...c.env, ...c.release(inQueue[0]!)] });
      assert.equal(rel.exitCode, 0, rel.stderr);
      await complete(p, ids.a!);
      assert.equal(readFileSync(join(p.dir, "ran"), "utf8"), "x\n", "ran once");
      assert.equal((await p.job(ids.a!)).outputs, 7);
    });

    test(`${c.submit} answers "try again" although it queued the job: looked up by name, recorded, not submitted twice`, async () => {
      const timedOut =
        "echo 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' >&2; exit 1";
      const qmaster = "echo 'error: commlib error: got select error (Connection refused)' >&2; exit 1";
      await using p = await testProject(
        dialects()[0]!,
        {},
        {
          workers: worker(c, false, afterSubmit(c, c.scheduler === "slurm" ? timedOut : qmaster)),
        },
      );
      const ids = await p.add(`name: once\njobs:\n  - {name: a, sh: 'echo x >> "${p.dir}/ran"'}\n`);
      const s = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
      assert.deepEqual(s.held, [], "not taken for a refusal");
      assert.equal(s.submitted.length + s.unknown.length, 1);
      if (s.unknown.length === 1) {
        // the queue did not show it yet: the next submit looks again before submitting anything
        const again = await offlineSubmit(p.store, p.project, asBatchWorker(p.project.workers.cluster!));
        assert.equal(
          again.adopted.found.length + again.adopted.started.length + again.adopted.collected.length,
          1,
        );
      }
      const run = (await p.store.currentRuns([ids.a!])).get(ids.a!)!;
      assert.ok(run.schedulerId, "the id found by name is recorded");
      assert.ok(existsSync(bundlePaths(run.launchDir!).script));
      await complete(p, ids.a!);
      assert.equal(readFileSync(join(p.dir, "ran"), "utf8"), "x\n", "ran once");
      assert.equal(
        (await p.store.runsOfJobs([ids.a!], { includeArchived: true })).length,
        1,
        "one run, one submission",
      );
    });
  });
}
