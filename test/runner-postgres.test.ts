/**
 * Several runners against PostgreSQL on one project: they share the managed workers (a lease per
 * worker), every job runs exactly once (each execution appends its job id to a file), and when one
 * runner is killed with SIGKILL mid-flight the other takes its worker over once the lease has
 * expired and finishes every job — nothing submitted twice, nothing lost.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { managedLocal, waitFor } from "./helpers/runner.ts";
import { dialects } from "./helpers/stores.ts";

const pg = dialects().find((d) => d.name === "postgres")!;
const JOBS = 40;

function flow(log: string): string {
  const many = Array.from(
    { length: JOBS - 1 },
    (_, i) =>
      `  - name: j${i}\n    parents: [setup]\n    sh: |\n      echo "$FERRY_JOB_ID" >> '${log}'\n      sleep 0.3\n      echo '{"i": ${i}}' > "$FERRY_OUTPUTS"`,
  );
  return `name: shared\njobs:\n  - name: setup\n    sh: |\n      echo "$FERRY_JOB_ID" >> '${log}'\n${many.join("\n")}\n`;
}

type Status = {
  runners: { id: string; pid: number; live: boolean }[];
  workers: { worker: string; runner: string | null; state: string }[];
};

describe("two runners on PostgreSQL", { skip: pg.skip }, () => {
  test("they share the workers; every job runs exactly once, also when one is killed with SIGKILL", async () => {
    await using p = await testProject(
      pg,
      {},
      {
        workers: {
          ...managedLocal({ maxQueued: 6, workDir: "runs1" }),
          hpc2: { ...managedLocal({ maxQueued: 6, workDir: "runs2" }).hpc },
        },
      },
    );
    // short leases: a killed runner is replaced within seconds
    const file = join(p.dir, "ferry.yaml");
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), runner: { leaseSeconds: 3 } }),
    );
    const log = join(p.dir, "executions.txt");
    p.file("flow.yaml", flow(log));
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const a = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    const b = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let outB = "";
    b.stdout.on("data", (c) => (outB += c));
    const bExited = new Promise<number | null>((r) => b.once("exit", (code) => r(code)));
    const status = async () =>
      JSON.parse((await ferry(["runner", "status", "--json"], { cwd: p.dir })).stdout) as Status;
    try {
      // both run, and each drives one of the two workers
      await waitFor("each runner to drive a worker", async () => {
        const s = await status();
        const drivers = new Set(s.workers.map((w) => w.runner).filter((r) => r !== null));
        return s.runners.filter((r) => r.live).length === 2 && drivers.size === 2;
      });
      const s = await status();
      const idOf = (pid: number) => s.runners.find((r) => r.pid === pid)!.id;
      const aWorker = s.workers.find((w) => w.runner === idOf(a.pid!))!.worker;
      await waitFor(
        "some jobs to have run",
        async () => existsSync(log) && readFileSync(log, "utf8").split("\n").length > 10,
      );
      a.kill("SIGKILL");
      // the survivor takes the dead runner's worker once its lease (3 s) has expired
      await waitFor("runner b to drive both workers", async () => {
        const t = await status();
        return t.workers.every((w) => w.runner === idOf(b.pid!));
      });
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === JOBS,
        120_000,
      );
      assert.match(outB, new RegExp(`${aWorker} lease: this runner drives the worker`));
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: p.dir })).code, 0);
      assert.equal(await bExited, 0);
    } finally {
      a.kill("SIGKILL");
      b.kill("SIGKILL");
    }
    const executions = readFileSync(log, "utf8").trim().split("\n").map(Number);
    const counts = new Map<number, number>();
    for (const id of executions) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.equal(counts.size, JOBS, "every job ran");
    assert.deepEqual(
      [...counts].filter(([, n]) => n !== 1),
      [],
      "no job ran twice",
    );
    // runs the killed runner had claimed but not submitted were given back (INTERRUPTED, the job
    // READY again) and claimed anew; one it had submitted without recording the id was found by
    // its files: one live run per job, none of them twice
    const runs = await p.store.findRuns({ modes: ["managed"] });
    const kept = runs.filter((r) => r.state !== "INTERRUPTED");
    assert.equal(kept.length, JOBS, "one run per job went to the scheduler");
    assert.equal(new Set(kept.map((r) => r.jobId)).size, JOBS);
    assert.ok(kept.every((r) => r.state === "COMPLETED"));
    for (const r of runs.filter((x) => x.state === "INTERRUPTED"))
      assert.equal(r.schedulerId, null, `run ${r.id} given back was never submitted`);
    const byWorker = new Set(runs.map((r) => r.worker));
    assert.deepEqual([...byWorker].sort(), ["hpc", "hpc2"], "both workers ran jobs");
  });
});
