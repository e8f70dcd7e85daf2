import assert from "node:assert/strict";
import { test } from "node:test";
import { SchedulerError } from "../model/errors.ts";
import type { CommandOutput, CommandSpec } from "../transport/types.ts";
import { createPoller } from "./poller.ts";
import { sge } from "./sge/index.ts";
import { shell } from "./shell/index.ts";
import { slurm } from "./slurm/index.ts";

/** A fake cluster: answers squeue/sacct from tables, counts calls, records the ids asked. */
function fakeSlurm() {
  const live = new Map<string, string>(); // id -> squeue line
  const accounting = new Map<string, string>(); // id -> sacct lines
  const calls: { program: string; ids: string[] }[] = [];
  let failNext: string | null = null;
  const exec = async (spec: CommandSpec): Promise<CommandOutput> => {
    const program = spec.argv[0]!;
    const ids = (spec.argv.find((a) => a.startsWith("--jobs="))?.slice(7) ?? "")
      .split(",")
      .filter((x) => x !== "");
    calls.push({ program, ids });
    if (failNext !== null) {
      const stderr = failNext;
      failNext = null;
      return { exitCode: 1, stdout: "", stderr };
    }
    const table = program === "squeue" ? live : accounting;
    const stdout = ids.flatMap((id) => (table.has(id) ? [table.get(id)!] : [])).join("\n");
    return { exitCode: 0, stdout, stderr: "" };
  };
  return {
    live,
    accounting,
    calls,
    exec,
    failOnce: (stderr: string) => {
      failNext = stderr;
    },
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("one status call per cycle for all jobs; within the interval the cached listing is returned", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const ids = Array.from({ length: 200 }, (_, i) => String(100 + i));
  for (const id of ids) cluster.live.set(id, `${id}|PENDING|0|n/a|JobHeldUser|`);
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 30_000, now: c.now });

  const first = await poller.poll(ids);
  assert.equal(first.cached, false);
  assert.equal(first.jobs.size, 200);
  assert.ok([...first.jobs.values()].every((j) => j.state === "queued"));
  c.advance(10_000);
  const second = await poller.poll(ids);
  assert.equal(second.cached, true);
  assert.equal(second.jobs.get("150")?.state, "queued");
  c.advance(25_000);
  await poller.poll(ids);
  assert.deepEqual(
    cluster.calls.map((x) => [x.program, x.ids.length]),
    [
      ["squeue", 200],
      ["squeue", 200],
    ],
  );
  assert.deepEqual(poller.stats, { statusCalls: 2, accountingCalls: 0 });
});

test("a job that left the queue is looked up in accounting once, and never asked about again", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 1000, now: c.now });
  cluster.live.set("1", "1|RUNNING|0|node1|None|");
  cluster.live.set("2", "2|RUNNING|0|node1|None|");
  await poller.poll(["1", "2"]);
  cluster.live.delete("2");
  cluster.accounting.set(
    "2",
    "2|FAILED|3:0|2026-01-01T00:00:00|None\n2.batch|FAILED|3:0|2026-01-01T00:00:00|",
  );
  c.advance(1000);
  const second = await poller.poll(["1", "2"]);
  assert.deepEqual(
    { state: second.jobs.get("2")?.state, exitCode: second.jobs.get("2")?.exitCode },
    { state: "failed", exitCode: 3 },
  );
  for (let i = 0; i < 3; i++) {
    c.advance(1000);
    const later = await poller.poll(["1", "2"]);
    assert.equal(later.jobs.get("2")?.state, "failed");
  }
  assert.deepEqual(
    cluster.calls.map((x) => `${x.program} ${x.ids.join(",")}`),
    ["squeue 1,2", "squeue 1,2", "sacct 2", "squeue 1", "squeue 1", "squeue 1"],
  );
});

test("a job finished in the live listing is final without asking accounting", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 1000, now: c.now });
  cluster.live.set("7", "7|TIMEOUT|15|node1|TimeLimit|");
  const result = await poller.poll(["7"]);
  assert.equal(result.jobs.get("7")?.state, "timeout");
  assert.equal(result.jobs.get("7")?.exitCode, 143);
  c.advance(5000);
  await poller.poll(["7"]);
  assert.deepEqual(poller.stats, { statusCalls: 1, accountingCalls: 0 }); // nothing left to ask
});

test("neither queue nor accounting knows the job: unknown, honestly, and cached", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 1000, now: c.now });
  const result = await poller.poll(["99"]);
  assert.equal(result.jobs.get("99")?.state, "unknown");
  assert.match(result.jobs.get("99")?.reason ?? "", /neither the live queue nor accounting/);
  c.advance(1000);
  await poller.poll(["99"]);
  assert.equal(poller.stats.accountingCalls, 1);
});

test("accounting that still says RUNNING for a job the queue lost is not believed", async () => {
  const cluster = fakeSlurm();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 0 });
  cluster.accounting.set(
    "5",
    "5|RUNNING|0:0|2026-01-01T00:00:00|None\n5.batch|RUNNING|0:0|2026-01-01T00:00:00|",
  );
  const result = await poller.poll(["5"]);
  assert.equal(result.jobs.get("5")?.state, "unknown");
  assert.match(result.jobs.get("5")?.reason ?? "", /accounting says RUNNING/);
});

test("a failed accounting call is not an answer: asked again next cycle", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const exec = cluster.exec;
  let sacctFails = true;
  const flaky = async (spec: CommandSpec) => {
    if (spec.argv[0] === "sacct" && sacctFails) {
      sacctFails = false;
      return {
        exitCode: 1,
        stdout: "",
        stderr: "sacct: error: Problem talking to the database: Connection refused\n",
      };
    }
    return exec(spec);
  };
  const p2 = createPoller({ scheduler: slurm, exec: flaky, minIntervalMs: 1000, now: c.now });
  cluster.accounting.set(
    "8",
    "8|COMPLETED|0:0|2026-01-01T00:00:00|None\n8.batch|COMPLETED|0:0|2026-01-01T00:00:00|",
  );
  const first = await p2.poll(["8"]);
  assert.equal(first.jobs.get("8")?.state, "unknown");
  assert.match(first.jobs.get("8")?.reason ?? "", /accounting failed/);
  c.advance(1000);
  const second = await p2.poll(["8"]);
  assert.equal(second.jobs.get("8")?.state, "done");
  assert.equal(p2.stats.accountingCalls, 2);
});

test("a failed status call throws, and is not retried within the interval", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 1000, now: c.now });
  cluster.live.set("1", "1|RUNNING|0|node1|None|");
  cluster.failOnce("slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n");
  await assert.rejects(poller.poll(["1"]), SchedulerError);
  await assert.rejects(poller.poll(["1"]), /Unable to contact/);
  assert.equal(cluster.calls.length, 1);
  c.advance(1000);
  assert.equal((await poller.poll(["1"])).jobs.get("1")?.state, "running");
  assert.equal(poller.stats.accountingCalls, 0); // an outage never looks like vanished jobs
});

test("an id submitted since the cached listing is not guessed at", async () => {
  const cluster = fakeSlurm();
  const c = clock();
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 30_000, now: c.now });
  cluster.live.set("1", "1|RUNNING|0|node1|None|");
  await poller.poll(["1"]);
  c.advance(5000);
  const result = await poller.poll(["1", "2"]);
  assert.equal(result.jobs.get("2")?.state, "unknown");
  assert.match(result.jobs.get("2")?.reason ?? "", /next slurm status call is allowed in 25 s/);
});

test("concurrent polls share one status call", async () => {
  const cluster = fakeSlurm();
  cluster.live.set("1", "1|RUNNING|0|node1|None|");
  const poller = createPoller({ scheduler: slurm, exec: cluster.exec, minIntervalMs: 10_000 });
  const results = await Promise.all([poller.poll(["1"]), poller.poll(["1"]), poller.poll(["1"])]);
  assert.ok(results.every((r) => r.jobs.get("1")?.state === "running"));
  assert.equal(cluster.calls.length, 1);
});

test("SGE: accounting is asked only after the flush delay has passed", async () => {
  const c = clock();
  const calls: string[] = [];
  const exec = async (spec: CommandSpec): Promise<CommandOutput> => {
    calls.push(spec.argv[0]!);
    if (spec.argv[0] === "qstat")
      return {
        exitCode: 0,
        stdout: "<job_info><queue_info></queue_info><job_info></job_info></job_info>",
        stderr: "",
      };
    return {
      exitCode: 0,
      stdout: "====\njobnumber 12\ntaskid undefined\nfailed 0\nexit_status 0\n",
      stderr: "",
    };
  };
  const poller = createPoller({ scheduler: sge, exec, minIntervalMs: 5000, now: c.now });
  const first = await poller.poll(["12"]);
  assert.match(first.jobs.get("12")?.reason ?? "", /accounting is asked in 20 s/);
  c.advance(10_000);
  await poller.poll(["12"]);
  c.advance(10_000);
  const third = await poller.poll(["12"]);
  assert.equal(third.jobs.get("12")?.state, "done");
  assert.deepEqual(calls, ["qstat", "qstat", "qstat", "sh"]);
});

test("shell: a finished process is unknown — the result file decides", async () => {
  const exec = async (): Promise<CommandOutput> => ({ exitCode: 1, stdout: "", stderr: "" });
  const poller = createPoller({ scheduler: shell, exec, minIntervalMs: 0 });
  const result = await poller.poll(["4242"]);
  assert.equal(result.jobs.get("4242")?.state, "unknown");
  assert.match(result.jobs.get("4242")?.reason ?? "", /keeps no accounting/);
});
