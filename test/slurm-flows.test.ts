/**
 * Flows on a real SLURM cluster (scripts/ci/slurm.sh): through offline submit/recover, through
 * qlaunch pilots running ferry launch (plain and reservation mode), and the number of scheduler
 * calls with 200 jobs queued.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { cancelJobs } from "../src/engine/control.ts";
import { cancelSchedulerJobs } from "../src/offline/cancel.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import type { QueueWorker } from "../src/qlaunch/pilot.ts";
import { qlaunchRapidfire } from "../src/qlaunch/qlaunch.ts";
import { execLocal } from "../src/transport/local.ts";
import { skipUnless } from "./helpers/components.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("slurm");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Twelve jobs: a setup, ten samples (js and sh) fanning out, and a sum fanning in. */
function twelve(): string {
  const samples = Array.from({ length: 10 }, (_, i) =>
    i % 2 === 0
      ? `  - {name: s${i}, parents: [setup], inputs: {x: "\${{ setup.base }}", i: ${i}}, js: ./tasks.mjs#square}`
      : `  - name: s${i}\n    parents: [setup]\n    inputs: {x: "\${{ setup.base }}", i: ${i}}\n    sh: |\n      echo "{\\"value\\": $((FERRY_IN_x * FERRY_IN_x + FERRY_IN_i))}" > "$FERRY_OUTPUTS"`,
  );
  return `name: twelve
jobs:
  - name: setup
    sh: |
      echo '{"base": 3}' > "$FERRY_OUTPUTS"
${samples.join("\n")}
  - name: sum
    parents: [${Array.from({ length: 10 }, (_, i) => `s${i}`).join(", ")}]
    inputs: {values: [${Array.from({ length: 10 }, (_, i) => `"\${{ s${i}.value }}"`).join(", ")}]}
    js: ./tasks.mjs#sum
`;
}
const TASKS =
  "export const square = ({ x, i }) => ({ value: x * x + i });\nexport const sum = ({ values }) => ({ total: values.reduce((a, b) => a + b, 0) });\n";
// 10 × 9 + (0 + 1 + … + 9)
const TOTAL = 10 * 9 + 45;

async function waitUntil(what: string, cond: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

async function allCompleted(p: TestProject): Promise<boolean> {
  return (await p.store.countJobs({ states: ["COMPLETED"] })) === (await p.store.countJobs({}));
}

describe("flows on SLURM", { skip }, () => {
  test("12 jobs through ferry offline submit / recover", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: {
          slurm: {
            mode: "offline",
            scheduler: "slurm",
            workDir: "runs",
            heartbeatSeconds: 5,
            statusIntervalSeconds: 1,
            node: process.execPath,
            defaultResources: { walltime: "5:00" },
          },
        },
      },
    );
    p.file("tasks.mjs", TASKS);
    await p.add(twelve());
    const worker = asBatchWorker(p.project.workers.slurm!);
    await waitUntil("every job to complete", async () => {
      await offlineSubmit(p.store, p.project, worker);
      await offlineRecover(p.store, p.project);
      return allCompleted(p);
    });
    const jobs = await p.jobs();
    assert.deepEqual(jobs.sum!.outputs, { total: TOTAL });
    const runs = await p.store.runsOfJobs(Object.values(jobs).map((j) => j.id));
    assert.ok(
      runs.every((r) => /^\d+$/.test(r.schedulerId ?? "")),
      "every run has a SLURM job id",
    );
    const started = JSON.parse(readFileSync(bundlePaths(runs[0]!.launchDir!).started, "utf8"));
    assert.equal(started.schedulerJobId, runs[0]!.schedulerId, "the wrapper saw SLURM_JOB_ID");
  });

  for (const d of dialects()) {
    test(`12 jobs through qlaunch rapidfire with pull launchers in the pilots (${d.name})`, {
      skip: d.skip,
    }, async () => {
      await using p = await testProject(
        d,
        {},
        {
          workers: {
            cluster: {
              mode: "pull",
              workDir: "runs",
              concurrency: 3,
              leaseSeconds: 30,
              queue: {
                scheduler: "slurm",
                defaultResources: { walltime: "10:00" },
                maxQueued: 2,
                statusIntervalSeconds: 1,
              },
            },
          },
        },
      );
      p.file("tasks.mjs", TASKS);
      await p.add(twelve());
      const s = await qlaunchRapidfire(p.store, p.project, p.project.workers.cluster as QueueWorker, {
        sleepMs: 500,
        timeoutMs: 170_000,
      });
      assert.equal(s.stoppedBecause, "no work left");
      assert.ok(s.pilots.length >= 1 && s.pilots.length <= 12, `${s.pilots.length} pilots`);
      assert.ok(await allCompleted(p));
      assert.deepEqual((await p.jobs()).sum!.outputs, { total: TOTAL });
      const script = readFileSync(join(s.pilots[0]!.dir, "pilot.sh"), "utf8");
      assert.match(script, /#SBATCH --time=0-00:10:00/);
      assert.match(script, /launch --worker cluster --quiet --timeout \d+/);
    });
  }

  test("reservation mode: one pilot per job, with the job's own resources", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: {
          cluster: {
            mode: "pull",
            workDir: "runs",
            leaseSeconds: 30,
            queue: {
              scheduler: "slurm",
              defaultResources: { walltime: "10:00" },
              maxQueued: 4,
              statusIntervalSeconds: 1,
            },
          },
        },
      },
    );
    const ids = await p.add(`name: reserved
jobs:
  - {name: big, resources: {walltime: "7:00", cpusPerProcess: 2}, sh: 'echo "{\\"cpus\\": $SLURM_CPUS_PER_TASK}" > "$FERRY_OUTPUTS"'}
  - {name: small, parents: [big], sh: 'echo 1 > "$FERRY_OUTPUTS"'}
`);
    const s = await qlaunchRapidfire(p.store, p.project, p.project.workers.cluster as QueueWorker, {
      reserve: true,
      sleepMs: 500,
      timeoutMs: 120_000,
    });
    assert.equal(s.pilots.length, 2);
    assert.ok(s.pilots.every((x) => x.runId !== null));
    const bigPilot = readFileSync(join(s.pilots[0]!.dir, "pilot.sh"), "utf8");
    assert.match(bigPilot, /#SBATCH --time=0-00:07:00/);
    assert.match(bigPilot, /#SBATCH --cpus-per-task=2/);
    assert.match(bigPilot, new RegExp(`launch --worker cluster --quiet --run ${s.pilots[0]!.runId}`));
    assert.deepEqual((await p.job(ids.big!)).outputs, { cpus: 2 }, "the job ran inside its own allocation");
    const history = (await p.store.getEvents(ids.big!)).map((e) => e.to);
    assert.deepEqual(history, ["READY", "RESERVED", "SUBMITTED", "RUNNING", "COMPLETED"]);
  });

  test("200 queued jobs: one status call per worker per recover cycle", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: {
          slurm: {
            mode: "offline",
            scheduler: "slurm",
            workDir: "runs",
            statusIntervalSeconds: 1,
            defaultResources: { custom: { slurm: ["--hold"] } },
          },
        },
      },
    );
    const jobs = Array.from({ length: 200 }, (_, i) => `  - {name: q${i}, sh: "true"}`).join("\n");
    await p.add(`name: queued\njobs:\n${jobs}\n`);
    const worker = asBatchWorker(p.project.workers.slurm!);
    const submitted = await offlineSubmit(p.store, p.project, worker);
    assert.equal(submitted.submitted.length, 200);
    try {
      for (let cycle = 0; cycle < 3; cycle++) {
        const s = await offlineRecover(p.store, p.project);
        assert.equal(s.examined, 200);
        assert.equal(s.schedulerCalls, 1, `cycle ${cycle}: one squeue for 200 jobs`);
        assert.equal(s.finished.length, 0, "held jobs are still queued");
        await sleep(1100);
      }
    } finally {
      const ids = (await p.store.findJobStates({ states: ["SUBMITTED"] })).map((j) => j.id);
      const cancelled = await cancelJobs(p.store, ids, {
        reason: "test over",
        cancelScheduled: (runs) => cancelSchedulerJobs(p.project, runs),
      });
      assert.deepEqual(cancelled.stopped?.problems ?? [], [], "every scancel went through");
    }
    assert.equal(await p.store.countJobs({ states: ["CANCELLED"] }), 200);
    // What a user checks with squeue: none of the 200 is still waiting on the cluster.
    const schedulerIds = submitted.submitted.flatMap((s) => (s.schedulerId ? [s.schedulerId] : []));
    assert.equal(schedulerIds.length, 200);
    let left: string[] = [];
    await waitUntil(
      "SLURM to drop the held jobs",
      async () => {
        const out = await execLocal({
          argv: ["squeue", "-h", "-t", "PD", "-o", "%i", "-j", schedulerIds.join(",")],
        });
        left = out.stdout.split("\n").filter((l) => l.trim() !== "");
        return out.exitCode === 0 && left.length === 0;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; still pending: ${left.slice(0, 10).join(", ")}${left.length > 10 ? ", …" : ""}`,
      );
    });
  });
});
