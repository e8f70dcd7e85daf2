/**
 * A managed batch worker driven by the runner (issue 9, acceptance "Batch … over SSH"): a real
 * sshd on loopback, SLURM behind it, `ferry runner start --foreground` stages 200 short jobs into
 * the folder queue over the SSH connection and submits 3 pilot allocations; every job is
 * COMPLETED exactly once and sacct shows only the pilots.
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { after, before, test } from "node:test";
import { execLocal } from "../src/transport/local.ts";
import { executions, localLog, slurmJobsUnder, tinyJobs, waitUntil } from "./helpers/batch.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { testProject } from "./helpers/project.ts";
import { SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("sshd", "slurm");
let lab: SshLab;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  await lab.server("login");
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

test("200 jobs through 3 pilots by ferry runner start over SSH: each COMPLETED once, sacct shows the 3 pilots only", {
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
          mode: "managed",
          host: "login",
          ssh: { configFile: lab.configFile },
          scheduler: "slurm",
          workDir,
          heartbeatSeconds: 5,
          statusIntervalSeconds: 1,
          cycleSeconds: 1,
          defaultResources: { walltime: "5:00" },
          maxQueued: 3,
          batch: { maxJobs: 70, maxWallTime: "10:00", parallel: 2, lingerSeconds: 3 },
        },
      },
    },
  );
  const log = posix.join(remote, "executions.log");
  p.file("flow.yaml", tinyJobs("batch-runner", 200, log));
  assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
  const since = new Date(Date.now() - 2000);
  const t0 = Date.now();
  const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
  let out = "";
  runner.stdout.on("data", (c) => (out += c));
  runner.stderr.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
  let staged = 0;
  try {
    await waitUntil("every job COMPLETED", async () => {
      const bad = await p.store.countJobs({ states: ["FAILED", "HELD"] });
      if (bad > 0) throw new Error(`${bad} job(s) failed or held:\n${out}`);
      if (staged === 0 && /200 submitted/.test(out)) staged = Date.now() - t0;
      return (await p.store.countJobs({ states: ["COMPLETED"] })) === 200;
    });
    const all = Date.now() - t0;
    const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await exited, 0, out);
    ctx.diagnostic(`runner start → 200 staged and queued ${staged} ms; → every result collected ${all} ms`);
  } finally {
    runner.kill("SIGKILL");
  }
  assert.match(out, /hpc submit: 200 submitted/, "one cycle queued the 200 jobs");
  const seen = executions(localLog(log));
  assert.equal(seen.size, 200, "every job ran");
  assert.deepEqual([...new Set(seen.values())], [1], "no job ran twice");
  const runs = await p.store.findRuns({ modes: ["managed"] });
  assert.equal(runs.length, 200, "one run per job");
  let accounted: { id: string; name: string }[] = [];
  await waitUntil(
    "sacct to list the pilots",
    async () => {
      accounted = await slurmJobsUnder(execLocal, remote, since);
      return accounted.length >= 3;
    },
    60_000,
  );
  assert.equal(accounted.length, 3, "the scheduler saw 3 jobs");
  for (const a of accounted) assert.match(a.name, /^ferry-pilot-hpc/, "pilots, no job of its own");
  const pilots = new Set(accounted.map((a) => a.id));
  // a run seen in taken/ carries its pilot's id; one whose result came first may have none
  for (const r of runs) assert.ok(r.schedulerId === null || pilots.has(r.schedulerId), r.schedulerId ?? "");
});
