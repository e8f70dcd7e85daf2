/**
 * PostgreSQL backends terminated under a running `ferry launch` and `ferry offline recover`
 * (pg_terminate_backend in a loop, as a restart or a failover does): every process exits 0 or
 * 5 — never 1 with an unhandled 'error' event — and nothing is stranded: every job completes
 * once, no run is left RUNNING. Each test has a throwaway cluster of its own (helpers/pg-cluster.ts):
 * the shared server's other connections are never touched.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import pg from "pg";
import { openStore } from "../src/store/open.ts";
import { type CliResult, ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { pgClusterAvailable, startPgCluster } from "./helpers/pg-cluster.ts";
import { tempDir } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const skip = skipUnless("postgres") || (!pgClusterAvailable() && "needs root and initdb");

/** Terminates every other client backend of the cluster every `everyMs`, until stopped. */
async function terminator(url: string, everyMs = 120) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let stopped = false;
  let terminated = 0;
  const loop = (async () => {
    while (!stopped) {
      const r = await client.query<{ n: string }>(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
      );
      terminated += Number(r.rows[0]!.n);
      await sleep(everyMs * (0.5 + Math.random()));
    }
  })();
  return {
    get terminated() {
      return terminated;
    },
    async stop() {
      stopped = true;
      await loop;
      await client.end();
    },
  };
}

function checkExit(r: CliResult, what: string): void {
  assert.ok(r.code === 0 || r.code === 5, `${what} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  assert.doesNotMatch(r.stderr, /Unhandled 'error' event|at .*node_modules\/pg/, what);
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];

function project(url: string, workers: string, n: number, extra = ""): string {
  const dir = tempDir("ferry-pgkill-");
  writeFileSync(join(dir, "ferry.yaml"), `database:\n  postgres: ${url}\nworkers:\n${workers}`);
  const jobs = Array.from(
    { length: n },
    (_, i) =>
      `  - {name: j${i}, sh: 'echo "$FERRY_JOB_NAME" >> "${dir}/exec"; sleep 0.2; echo ${i} > "$FERRY_OUTPUTS"'}`,
  );
  writeFileSync(
    join(dir, "f.yaml"),
    `name: kill\njobs:\n${jobs.join("\n")}\n  - {name: join, parents: [${jobs.map((_, i) => `j${i}`).join(", ")}], sh: 'echo join >> "${dir}/exec"'}\n${extra}`,
  );
  return dir;
}

describe("PostgreSQL backends terminated in a loop", { skip }, () => {
  test("during ferry launch: exit 0 or 5, every job completes once, nothing left RUNNING", async () => {
    await using pgc = await startPgCluster();
    const dir = project(
      pgc.url,
      "  local: {mode: pull, workDir: runs, concurrency: 3, leaseSeconds: 5}\n",
      15,
    );
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const killer = await terminator(pgc.url);
    const codes: (number | null)[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const r = await ferry(["launch", "--json", "--quiet"], { cwd: dir, timeoutMs: 180_000 });
        checkExit(r, `launch #${i + 1}`);
        codes.push(r.code);
        if (r.code === 0 && lines(join(dir, "exec")).includes("join")) break;
      }
    } finally {
      await killer.stop();
    }
    assert.ok(killer.terminated > 0, "backends were terminated while launch ran");
    console.log(`# launch under terminations (${killer.terminated} backends): exits ${codes.join(", ")}`);
    const last = await ferry(["launch", "--json", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(last.code, 0, last.stderr);
    await using store = await openStore({ kind: "postgres", url: pgc.url });
    assert.equal(
      await store.countJobs({ states: ["COMPLETED"] }),
      16,
      `exits under terminations: ${codes.join(", ")}`,
    );
    assert.equal(
      (await store.findRuns({ states: ["RUNNING", "RESERVED", "STAGED", "SUBMITTED"] })).length,
      0,
    );
    const ran = lines(join(dir, "exec"));
    assert.equal(ran.length, 16, `every job ran once: ${ran.join(" ")}`);
    assert.equal(new Set(ran).size, 16);
  });

  test("during ferry offline recover: exit 0 or 5, every result applied once, children released once", async () => {
    await using pgc = await startPgCluster();
    const worker =
      "  cluster: {mode: offline, scheduler: shell, workDir: runs, heartbeatSeconds: 1, statusIntervalSeconds: 0.2}\n";
    const dir = project(pgc.url, worker, 30);
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const submitted = await ferry(["offline", "submit", "--json"], { cwd: dir });
    assert.equal(submitted.code, 0, submitted.stderr);
    assert.equal(JSON.parse(submitted.stdout).submitted.length, 30);
    const deadline = Date.now() + 60_000;
    while (lines(join(dir, "exec")).length < 30 && Date.now() < deadline) await sleep(200);
    await sleep(500); // the last results are written after the task's line
    const killer = await terminator(pgc.url, 60);
    const codes: (number | null)[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const r = await ferry(["offline", "recover", "--json", "--quiet"], { cwd: dir, timeoutMs: 120_000 });
        checkExit(r, `recover #${i + 1}`);
        codes.push(r.code);
      }
    } finally {
      await killer.stop();
    }
    assert.ok(killer.terminated > 0, "backends were terminated while recover ran");
    console.log(`# recover under terminations (${killer.terminated} backends): exits ${codes.join(", ")}`);
    const last = await ferry(["offline", "recover", "--json"], { cwd: dir });
    assert.equal(last.code, 0, last.stderr);
    await using store = await openStore({ kind: "postgres", url: pgc.url });
    const jobs = await store.findJobs({});
    const byName = new Map(jobs.map((j) => [j.name, j]));
    for (let i = 0; i < 30; i++) {
      const j = byName.get(`j${i}`)!;
      assert.equal(j.state, "COMPLETED", `j${i} (recover exits: ${codes.join(", ")})`);
      const completions = (await store.getEvents(j.id)).filter((e) => e.to === "COMPLETED");
      assert.equal(completions.length, 1, `j${i} completed once`);
    }
    const join_ = byName.get("join")!;
    assert.equal(join_.unfinishedParents, 0, "each parent released the child exactly once");
    assert.equal(join_.state, "READY");
    assert.equal(
      (await store.findRuns({ states: ["RUNNING", "FINISHED", "SUBMITTED", "STAGED"] })).length,
      0,
    );
  });
});
