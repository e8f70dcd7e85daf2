/**
 * A launch directory is untrusted input (issue #8): what a compute node, a user or a broken
 * filesystem leaves there must never hang `offline recover`, abort it, or be taken as a verdict,
 * and never stop the other runs of the same recover from being collected. Each case below is one
 * run of one recover (the real CLI, killed if it takes longer than a minute), next to a healthy
 * run that must complete.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { detectLost } from "../src/engine/lost.ts";
import { LocalTransport } from "../src/transport/local.ts";
import {
  completedResult,
  failedResult,
  type HostileRun,
  offlineProject,
  submittedRuns,
  writeJson,
} from "./bundle-hostile.test-support.ts";
import { ferry } from "./helpers/cli.ts";
import type { TestProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const now = () => Math.floor(Date.now() / 1000);
const fifo = (path: string) => {
  rmSync(path, { force: true, recursive: true });
  execFileSync("mkfifo", [path]);
};

/** Each case leaves one run's directory in a state that says nothing valid about its outcome. */
const CASES: Record<string, (r: HostileRun) => Promise<void> | void> = {
  "result.json is a FIFO": (r) => fifo(r.paths.result),
  "heartbeat is a FIFO": (r) => fifo(r.paths.heartbeat),
  "a task output is a FIFO": async (r) => {
    fifo(r.paths.task(0).output);
    await writeJson(r.paths.result, completedResult(r.runId));
  },
  "result.json links to /dev/zero": (r) => symlinkSync("/dev/zero", r.paths.result),
  "a task output links outside the launch dir": async (r) => {
    symlinkSync("/etc/passwd", r.paths.task(0).output);
    await writeJson(r.paths.result, completedResult(r.runId));
  },
  "a task output is a directory": async (r) => {
    mkdirSync(r.paths.task(0).output);
    await writeJson(r.paths.result, completedResult(r.runId));
  },
  "a task output is a link loop": async (r) => {
    symlinkSync(r.paths.task(0).output, r.paths.task(0).output);
    await writeJson(r.paths.result, completedResult(r.runId));
  },
  "nextTask is a billion": (r) => writeJson(r.paths.result, completedResult(r.runId, 1, { nextTask: 1e9 })),
  'nextTask is "x"': (r) => writeJson(r.paths.result, completedResult(r.runId, 1, { nextTask: "x" })),
  "nextTask is -3": (r) => writeJson(r.paths.result, completedResult(r.runId, 1, { nextTask: -3 })),
  'finishedAt is "yesterday"': (r) =>
    writeJson(r.paths.result, completedResult(r.runId, 1, { finishedAt: "yesterday" })),
  "task and signal are objects": (r) =>
    writeJson(r.paths.result, failedResult(r.runId, 0, { task: {}, signal: { a: 1 } })),
  'state is "DONE"': (r) => writeJson(r.paths.result, completedResult(r.runId, 1, { state: "DONE" })),
  'a FAILED result names task "1; touch x #"': (r) =>
    writeJson(r.paths.result, failedResult(r.runId, 0, { task: "1; touch x #", nextTask: "1; touch x #" })),
  "the heartbeat is 1e400": (r) => writeJson(r.paths.heartbeat, "1e400"),
  "the heartbeat is 1e30": (r) => writeJson(r.paths.heartbeat, "1e30"),
  "the heartbeat is -5": (r) => writeJson(r.paths.heartbeat, "-5"),
  "the heartbeat is Infinity": (r) => writeJson(r.paths.heartbeat, "Infinity"),
  "the heartbeat is 2 MB of digits": (r) => writeJson(r.paths.heartbeat, "9".repeat(2 * 1024 * 1024)),
  'started.json says at: "noon"': (r) =>
    writeJson(r.paths.started, { runId: r.runId, at: "noon", host: "n1", pid: 42, schedulerJobId: "" }),
  "started.at is 1e300": (r) =>
    writeJson(r.paths.started, { runId: r.runId, at: 1e300, host: "n1", pid: 42, schedulerJobId: "" }),
  'checkpoint.json names task "1; touch x #"': (r) =>
    writeJson(r.paths.checkpoint, { runId: r.runId, task: "1; touch x #" }),
};

interface Summary {
  problems: { runId: number; problem: string }[];
  completed: number[];
}

/** `ferry offline recover --json`, killed after a minute: a hang is a failure, not a stuck suite. */
async function recover(p: TestProject): Promise<Summary> {
  const r = await ferry(["--project", join(p.dir, "ferry.yaml"), "offline", "recover", "--json", "-q"], {
    cwd: p.dir,
    timeoutMs: 60_000,
  });
  assert.notEqual(r.code, null, `recover hung (killed after 60 s): ${r.stderr}`);
  assert.equal(r.code, 0, `recover exit code ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Summary;
}

/** `cases` each in one run, next to a healthy one, through one recover. */
async function recoverBeside(p: TestProject, names: readonly string[]): Promise<void> {
  const runs = await submittedRuns(p, names.length + 1);
  const healthy = runs.at(-1)!;
  writeFileSync(healthy.paths.task(0).output, '{"ok": true}');
  await writeJson(healthy.paths.result, completedResult(healthy.runId));
  for (const [i, name] of names.entries()) await CASES[name]!(runs[i]!);
  const summary = await recover(p);
  assert.deepEqual(summary.completed, [healthy.jobId], "only the healthy run completed");
  assert.equal((await p.job(healthy.jobId)).state, "COMPLETED");
  for (const [i, name] of names.entries()) {
    const run = runs[i]!;
    const job = await p.job(run.jobId);
    assert.ok(!["COMPLETED", "FAILED"].includes(job.state), `${name}: the job became ${job.state}`);
    assert.ok(
      summary.problems.some((x) => x.runId === run.runId),
      `${name}: no problem reported for its run`,
    );
    const stored = (await p.store.getRun(run.runId))!;
    assert.equal(stored.heartbeatAt, null, `${name}: heartbeat stored as ${stored.heartbeatAt}`);
    assert.equal(stored.startedAt, null, `${name}: start stored as ${stored.startedAt}`);
    assert.equal(
      stored.checkpoint,
      null,
      `${name}: checkpoint stored as ${JSON.stringify(stored.checkpoint)}`,
    );
    assert.ok(stored.problemCount >= 1, `${name}: problem not counted on the run`);
  }
}

for (const d of dialects()) {
  describe(`untrusted bundle files on ${d.name}`, { skip: d.skip }, () => {
    for (const name of Object.keys(CASES)) {
      test(`${name}: a problem of that run, not a verdict; the run beside it completes`, async () => {
        await using p = await offlineProject(d);
        await recoverBeside(p, [name]);
      });
    }

    test("all of them at once, in one recover: each is its own run's problem", async () => {
      await using p = await offlineProject(d);
      await recoverBeside(p, Object.keys(CASES));
    });

    test("a run with an absurd heartbeat can still be found lost", async () => {
      await using p = await offlineProject(d);
      const [run] = await submittedRuns(p, 1);
      const hourAgo = now() - 3600;
      await writeJson(run!.paths.started, {
        runId: run!.runId,
        at: hourAgo,
        host: "n1",
        pid: 42,
        schedulerJobId: "",
      });
      await writeJson(run!.paths.heartbeat, "1e30");
      await recover(p);
      const stored = (await p.store.getRun(run!.runId))!;
      assert.equal(stored.state, "RUNNING", "the valid start was recorded");
      assert.equal(stored.heartbeatAt, hourAgo * 1000, "the absurd heartbeat was not stored");
      const lost = await detectLost(p.store, {
        transport: new LocalTransport(),
        heartbeatLimitMs: () => 60_000,
      });
      assert.deepEqual(
        lost.map((l) => l.run.id),
        [run!.runId],
        "the silent run is found lost",
      );
    });
  });
}
