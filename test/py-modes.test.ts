/**
 * py tasks in every mode that exists: offline through the shell scheduler and through SLURM
 * (the bundle carries the runner; the compute side needs only python3 and never reaches the
 * database), and qlaunch pilots running `ferry launch` inside SLURM allocations. Pull mode is
 * test/py-tasks.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { offlineRecover } from "../src/offline/recover.ts";
import { offlineSubmit } from "../src/offline/submit.ts";
import { asBatchWorker } from "../src/offline/worker-exec.ts";
import type { QueueWorker } from "../src/qlaunch/pilot.ts";
import { qlaunchRapidfire } from "../src/qlaunch/qlaunch.ts";
import { skipUnless } from "./helpers/components.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const LIB = `
def start(n):
    return {"x": 1.0, "v": [0.0, 2.0], "n": n}

def types(x, v):
    return {"types": [type(x).__name__, [type(e).__name__ for e in v]], "x": x, "v": v}

def divide(a, b):
    return a / b
`;

const FLOW = `name: py-modes
jobs:
  - {name: a, inputs: {n: 3}, py: "pymodes:start"}
  - {name: b, parents: [a], inputs: {x: "\${{ a.x }}", v: "\${{ a.v }}"}, py: "pymodes:types"}
  - {name: zero, inputs: {a: 1, b: 0}, py: "pymodes:divide"}
`;

/** A folder with the module, for PYTHONPATH. */
function pythonLib(): string {
  const dir = tempDir("ferry-pymodes-");
  writeFileSync(join(dir, "pymodes.py"), LIB);
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

async function settled(p: TestProject): Promise<boolean> {
  return (
    (await p.store.countJobs({
      states: ["WAITING", "READY", "RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
    })) === 0
  );
}

/** What every mode must give: floats as floats, the exception as the run's error. */
async function checkOutcome(p: TestProject, ids: Record<string, number>): Promise<void> {
  const jobs = await p.jobs();
  assert.deepEqual([jobs.a!.state, jobs.b!.state, jobs.zero!.state], ["COMPLETED", "COMPLETED", "FAILED"]);
  const b = jobs.b!.outputs as Record<string, unknown>;
  assert.deepEqual(
    [JSON.stringify(b.types), JSON.stringify(b.x), JSON.stringify(b.v)],
    ['["float",["float","float"]]', "1.0", "[0.0,2.0]"],
  );
  const run = (await p.store.currentRuns([ids.zero!])).get(ids.zero!)!;
  assert.equal(run.error?.message, "task 0 (py) threw: division by zero");
  assert.match(
    run.error?.stack ?? "",
    /pymodes\.py", line 9, in divide[\s\S]*ZeroDivisionError: division by zero/,
  );
  assert.equal(run.exitCode, 1);
  const bRun = (await p.store.currentRuns([ids.b!])).get(ids.b!)!;
  assert.ok(existsSync(join(bRun.launchDir!, "_ferry", "ferry_py.py")), "the bundle carries the runner");
}

describe("py tasks offline", () => {
  for (const d of dialects()) {
    test(`through the shell scheduler: submit, run with no database, recover (${d.name})`, {
      skip: d.skip,
    }, async () => {
      const lib = pythonLib();
      await using p = await testProject(
        d,
        {},
        {
          workers: {
            cluster: {
              mode: "offline",
              scheduler: "shell",
              workDir: "runs",
              heartbeatSeconds: 1,
              statusIntervalSeconds: 0.2,
              env: { PYTHONPATH: lib },
            },
          },
        },
      );
      const ids = await p.add(FLOW);
      const worker = asBatchWorker(p.project.workers.cluster!);
      await waitFor("every job to finish", async () => {
        await offlineSubmit(p.store, p.project, worker);
        await sleep(200);
        await offlineRecover(p.store, p.project);
        return settled(p);
      });
      await checkOutcome(p, ids);
    });
  }

  test("through SLURM: the py tasks run as batch jobs", { skip: skipUnless("slurm") }, async () => {
    const lib = pythonLib();
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
            env: { PYTHONPATH: lib },
            defaultResources: { walltime: "5:00" },
          },
        },
      },
    );
    const ids = await p.add(FLOW);
    const worker = asBatchWorker(p.project.workers.slurm!);
    await waitFor("every job to finish", async () => {
      await offlineSubmit(p.store, p.project, worker);
      await sleep(500);
      await offlineRecover(p.store, p.project);
      return settled(p);
    });
    await checkOutcome(p, ids);
    const run = (await p.store.currentRuns([ids.b!])).get(ids.b!)!;
    assert.match(run.schedulerId ?? "", /^\d+$/, "a SLURM job id");
    const started = JSON.parse(readFileSync(bundlePaths(run.launchDir!).started, "utf8"));
    assert.equal(started.schedulerJobId, run.schedulerId);
  });
});

describe("py tasks through qlaunch", () => {
  test("SLURM pilots run ferry launch, which runs the py tasks", { skip: skipUnless("slurm") }, async () => {
    const lib = pythonLib();
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: {
          cluster: {
            mode: "pull",
            workDir: "runs",
            concurrency: 2,
            leaseSeconds: 30,
            env: { PYTHONPATH: lib },
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
    const ids = await p.add(FLOW);
    const s = await qlaunchRapidfire(p.store, p.project, p.project.workers.cluster as QueueWorker, {
      sleepMs: 500,
      timeoutMs: 170_000,
    });
    assert.equal(s.stoppedBecause, "no work left");
    assert.ok(s.pilots.length >= 1);
    await checkOutcome(p, ids);
    const run = (await p.store.currentRuns([ids.a!])).get(ids.a!)!;
    assert.equal(run.mode, "pull", "run by a launcher inside a pilot");
  });
});
