/**
 * Real jobs on the Grid Engine of scripts/ci/sge.sh (FERRY_TEST_SGE=1): submitted with our own
 * submitCommand, watched with our poller (qstat -xml, then qacct once). The test cluster writes
 * accounting every second, so the poller's accounting delay is shortened to 2 s here.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  execWith,
  type JobSpec,
  pollUntil,
  prepareJob,
  SGE_ENV,
  scratchDir,
  submitJob,
} from "../../../test/fixtures/schedulers/real-jobs.ts";
import { skipUnless } from "../../../test/helpers/components.ts";
import { createPoller } from "../poller.ts";
import { sge } from "./index.ts";

const skip = skipUnless("sge");
const exec = execWith(SGE_ENV);
const root = skip === false ? scratchDir("sge-it") : "";
const submit = (spec: JobSpec) => submitJob(sge, exec, prepareJob(sge, root, spec));
const newPoller = () => createPoller({ scheduler: sge, exec, minIntervalMs: 500, accountingDelayMs: 2000 });

describe("Grid Engine, real jobs", { skip, concurrency: true }, () => {
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

  test("qdel of a running job → cancelled, killed by SIGKILL", async () => {
    const job = await submit({ name: "cancel", body: "sleep 300" });
    const poller = newPoller();
    await pollUntil(poller, [job.id], 60_000, (s) => s.state === "running");
    sge.parseCancel(await exec(sge.cancelCommand([job.id])), [job.id]);
    const s = (await pollUntil(poller, [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["cancelled", 137]);
  });

  test("h_rt of 3 s → timeout", async () => {
    const job = await submit({ name: "timeout", body: "sleep 300", resources: { walltime: 3 } });
    const s = (await pollUntil(newPoller(), [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["timeout", 137]);
  });

  test("the s_rt warning (SIGUSR1) reaches the batch script before h_rt", async () => {
    const job = await submit({
      name: "warned",
      body: "trap 'date +%s > warned.txt; exit 0' USR1\nwhile :; do sleep 1; done",
      resources: { walltime: 60 },
      warning: { signal: "USR1", secondsBefore: 57 },
    });
    const s = (await pollUntil(newPoller(), [job.id], 60_000)).get(job.id)!;
    assert.deepEqual([s.state, s.exitCode], ["done", 0]);
    assert.ok(existsSync(join(job.dir, "warned.txt")));
  });

  test("array of 3 with one failing task → the array reads failed", async () => {
    const job = await submit({
      name: "array",
      body: '[ "$SGE_TASK_ID" = 2 ] && exit 4\nexit 0',
      arraySize: 3,
    });
    const ids = [job.id, `${job.id}.1`, `${job.id}.2`, `${job.id}.3`];
    const jobs = await pollUntil(newPoller(), ids, 60_000);
    assert.deepEqual(
      ids.map((id) => jobs.get(id)?.state),
      ["failed", "done", "failed", "done"],
    );
    assert.ok(existsSync(join(job.dir, "out-2.txt")), "{index} became $TASK_ID");
  });
});
