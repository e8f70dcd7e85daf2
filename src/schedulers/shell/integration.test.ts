/**
 * The shell scheduler with real detached processes on this machine (no component needed).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  type JobSpec,
  pollUntil,
  prepareJob,
  scratchDir,
  submitJob,
  waitFor,
} from "../../../test/fixtures/schedulers/real-jobs.ts";
import { execLocal } from "../../transport/local.ts";
import { createPoller } from "../poller.ts";
import { shell } from "./index.ts";

const root = scratchDir("shell-it");
const submit = (spec: JobSpec) => submitJob(shell, execLocal, prepareJob(shell, root, spec));
const newPoller = () => createPoller({ scheduler: shell, exec: execLocal, minIntervalMs: 100 });
const gone = (s: { state: string }) => s.state === "unknown";

describe("shell scheduler, real processes", { concurrency: true }, () => {
  test("a job runs detached with its own id and output files, then is gone", async () => {
    const job = await submit({ name: "ok", body: 'echo "id=$FERRY_SHELL_JOB_ID"; echo oops >&2; sleep 1' });
    const poller = newPoller();
    assert.equal((await poller.poll([job.id])).jobs.get(job.id)?.state, "running");
    const s = (await pollUntil(poller, [job.id], 20_000, gone)).get(job.id)!;
    assert.match(s.reason ?? "", /no accounting/); // the result file decides, not the process table
    assert.equal(readFileSync(join(job.dir, "out.txt"), "utf8"), `id=${job.id}\n`);
    assert.equal(readFileSync(join(job.dir, "err.txt"), "utf8"), "oops\n");
  });

  test("cancel kills the whole process group, the job's children included", async () => {
    const job = await submit({ name: "cancel", body: "sleep 300 &\necho $! > child.pid\nwait" });
    await waitFor("child.pid", async () => existsSync(join(job.dir, "child.pid")), 10_000, 100);
    const child = Number(readFileSync(join(job.dir, "child.pid"), "utf8"));
    shell.parseCancel(await execLocal(shell.cancelCommand([job.id])), [job.id]);
    await pollUntil(newPoller(), [job.id], 20_000, gone);
    await waitFor("the child to die", async () => !isAlive(child), 10_000, 100);
  });

  test("the walltime warning reaches the script, then the walltime stops it", async () => {
    const job = await submit({
      name: "walltime",
      body: "trap 'echo warned > warned.txt' USR1\ni=0; while [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done\necho finished > finished.txt",
      resources: { walltime: 4 },
      warning: { signal: "USR1", secondsBefore: 2 },
    });
    const started = Date.now();
    await pollUntil(newPoller(), [job.id], 30_000, gone);
    assert.ok(Date.now() - started < 20_000);
    assert.ok(existsSync(join(job.dir, "warned.txt")), "warned");
    assert.ok(!existsSync(join(job.dir, "finished.txt")), "stopped at the walltime");
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
