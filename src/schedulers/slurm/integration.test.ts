/**
 * Real jobs on the SLURM test cluster (scripts/ci/slurm.sh; FERRY_TEST_SLURM=1): submitted with
 * our own submitCommand through execLocal, watched with our poller. The cases run concurrently;
 * the slowest is the walltime one (SLURM's minimum limit is one minute and slurmctld checks it
 * every ~30 s: ~85 s).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  type JobSpec,
  pollUntil,
  prepareJob,
  scratchDir,
  sleep,
  submitJob,
} from "../../../test/fixtures/schedulers/real-jobs.ts";
import { skipUnless } from "../../../test/helpers/components.ts";
import { execLocal } from "../../transport/local.ts";
import type { CommandOutput, CommandSpec } from "../../transport/types.ts";
import { createPoller } from "../poller.ts";
import { slurm } from "./index.ts";

const skip = skipUnless("slurm");
const root = skip === false ? scratchDir("slurm-it") : "";
const submit = (spec: JobSpec) => submitJob(slurm, execLocal, prepareJob(slurm, root, spec));
const newPoller = () => createPoller({ scheduler: slurm, exec: execLocal, minIntervalMs: 1000 });

describe("SLURM, real jobs", { skip, concurrency: true }, () => {
  test("success → done, exit 0", async () => {
    const job = await submit({ name: "ok", body: "echo hello" });
    const s = (await pollUntil(newPoller(), [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["done", 0]);
    assert.equal(readFileSync(join(job.dir, "out.txt"), "utf8"), "hello\n");
  });

  test("exit 3 → failed, exit 3", async () => {
    const job = await submit({ name: "exit3", body: "exit 3" });
    const s = (await pollUntil(newPoller(), [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["failed", 3]);
  });

  test("scancel of a running job → cancelled, killed by SIGTERM", async () => {
    const job = await submit({ name: "cancel", body: "sleep 300" });
    const poller = newPoller();
    await pollUntil(poller, [job.id], 60_000, (s) => s.state === "running");
    slurm.parseCancel(await execLocal(slurm.cancelCommand([job.id])), [job.id]);
    const s = (await pollUntil(poller, [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["cancelled", 143]);
    assert.match(s.reason ?? "", /SIGTERM/);
  });

  test("memory over --mem → out-of-memory", async () => {
    const job = await submit({
      name: "oom",
      body: "python3 -c 'a = bytearray(400 * 1024 * 1024); import time; time.sleep(2)'",
      resources: { memory: "50M" },
    });
    const s = (await pollUntil(newPoller(), [job.id], 60_000)).get(job.id)!;
    assert.equal(s.state, "out-of-memory");
  });

  test("array of 3 with one failing element → the array reads failed, elements individually", async () => {
    const job = await submit({
      name: "array",
      body: '[ "$SLURM_ARRAY_TASK_ID" = 2 ] && exit 4\nexit 0',
      arraySize: 3,
    });
    const ids = [job.id, `${job.id}_1`, `${job.id}_2`, `${job.id}_3`];
    const jobs = await pollUntil(newPoller(), ids, 60_000);
    assert.deepEqual(
      ids.map((id) => [jobs.get(id)?.state, jobs.get(id)?.exitCode]),
      [
        ["failed", 4],
        ["done", 0],
        ["failed", 4],
        ["done", 0],
      ],
    );
    assert.ok(existsSync(join(job.dir, "out-2.txt")), "{index} became %a");
  });

  test("walltime: the USR1 warning reaches the batch script, then TIMEOUT", async () => {
    const job = await submit({
      name: "timeout",
      body: "date +%s > started.txt\ntrap 'date +%s > warned.txt' USR1\nwhile :; do sleep 1; done",
      resources: { walltime: 60 },
      warning: { signal: "USR1", secondsBefore: 40 },
    });
    const s = (await pollUntil(newPoller(), [job.id], 150_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["timeout", 143]);
    const warned = join(job.dir, "warned.txt");
    assert.ok(existsSync(warned), "the trap wrote warned.txt");
    const started = Number(readFileSync(join(job.dir, "started.txt"), "utf8"));
    const at = Number(readFileSync(warned, "utf8"));
    assert.ok(at - started < 60, `warned ${at - started} s after the start, before the limit`);
    assert.ok(statSync(warned).isFile());
  });

  test("200 queued jobs: exactly one status call per poll cycle, no accounting", async () => {
    const count = { squeue: 0, other: 0 };
    const counting = async (spec: CommandSpec): Promise<CommandOutput> => {
      if (spec.argv[0] === "squeue") count.squeue++;
      else count.other++;
      return execLocal(spec);
    };
    const ids: string[] = [];
    const held = prepareJob(slurm, root, { name: "held", body: "true", resources: { custom: ["--hold"] } });
    for (let batch = 0; batch < 10; batch++) {
      const outputs = await Promise.all(
        Array.from({ length: 20 }, () => execLocal(slurm.submitCommand(held.request))),
      );
      ids.push(...outputs.map((o) => slurm.parseSubmit(o)));
    }
    try {
      const poller = createPoller({ scheduler: slurm, exec: counting, minIntervalMs: 500 });
      for (let cycle = 0; cycle < 5; cycle++) {
        const result = await poller.poll(ids);
        assert.equal(result.cached, false);
        assert.equal(result.jobs.size, 200);
        assert.ok(
          [...result.jobs.values()].every((j) => j.state === "queued" && /JobHeldUser/.test(j.reason ?? "")),
        );
        const again = await poller.poll(ids); // within the interval: the cached listing, no call
        assert.equal(again.cached, true);
        await sleep(500);
      }
      assert.deepEqual(count, { squeue: 5, other: 0 });
      assert.deepEqual(poller.stats, { statusCalls: 5, accountingCalls: 0 });
    } finally {
      slurm.parseCancel(await execLocal(slurm.cancelCommand(ids)), ids);
    }
    const after = await pollUntil(newPoller(), ids, 60_000);
    assert.ok([...after.values()].every((j) => j.state === "cancelled" && j.exitCode === null));
  });
});
