/**
 * The pull launcher when things break: the launcher is killed while its jobs run, and the
 * database goes away while its jobs run. Nothing may be lost, nothing run twice.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openStore } from "../src/store/open.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { pgClusterAvailable, startPgCluster } from "./helpers/pg-cluster.ts";
import { tempDir } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function started(dir: string): number {
  const root = join(dir, "runs", "flow-1");
  return existsSync(root)
    ? readdirSync(root).filter((r) => existsSync(join(root, r, "_ferry", "started.json"))).length
    : 0;
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("the pull launcher when things break", () => {
  test("a launcher killed while its jobs run: the next launcher collects their results, nothing runs twice", async () => {
    const dir = tempDir("ferry-crash-");
    writeFileSync(
      join(dir, "ferry.yaml"),
      "workers:\n  local: {mode: pull, workDir: runs, concurrency: 2}\n",
    );
    writeFileSync(
      join(dir, "f.yaml"),
      `name: crash\njobs:\n${[1, 2].map((i) => `  - {name: j${i}, sh: 'echo x >> "${dir}/ran-j${i}"; sleep 1.5; echo ${i} > "$FERRY_OUTPUTS"'}`).join("\n")}\n  - {name: after, parents: [j1, j2], sh: 'true'}\n`,
    );
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir });
    const gone = new Promise((r) => launcher.on("exit", r));
    await until("both jobs to start", () => started(dir) === 2);
    launcher.kill("SIGKILL"); // no chance to clean up: leases stay, wrappers keep running
    await gone;
    await until("the orphaned wrappers to finish", () =>
      [1, 2].every((i) => existsSync(join(dir, "runs", "flow-1", `j${i}-${i}`, "_ferry", "result.json"))),
    );
    const again = await ferry(["launch", "--json", "--quiet"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
      name: string;
      state: string;
      outputs: unknown;
    }[];
    assert.deepEqual(
      jobs.map((j) => [j.name, j.state]),
      [
        ["j1", "COMPLETED"],
        ["j2", "COMPLETED"],
        ["after", "COMPLETED"],
      ],
    );
    assert.deepEqual(
      jobs.map((j) => j.outputs).slice(0, 2),
      [1, 2],
      "the results of the killed launcher's runs",
    );
    for (const i of [1, 2])
      assert.equal(readFileSync(join(dir, `ran-j${i}`), "utf8"), "x\n", `j${i} ran once`);
  });

  test("PostgreSQL goes away while jobs run: the launcher waits, then completes every job", {
    skip: skipUnless("postgres") || (!pgClusterAvailable() && "needs root and initdb"),
  }, async () => {
    await using pgc = await startPgCluster();
    const dir = tempDir("ferry-pgdown-");
    writeFileSync(
      join(dir, "ferry.yaml"),
      `database:\n  postgres: ${pgc.url}\nworkers:\n  local: {mode: pull, workDir: runs, concurrency: 2}\n`,
    );
    writeFileSync(
      join(dir, "f.yaml"),
      "name: down\njobs:\n  - {name: a, sh: 'sleep 1; echo 1 > \"$FERRY_OUTPUTS\"'}\n  - {name: b, sh: 'sleep 1; echo 2 > \"$FERRY_OUTPUTS\"'}\n  - {name: c, parents: [a, b], sh: 'echo 3 > \"$FERRY_OUTPUTS\"'}\n",
    );
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const launcher = spawnFerry(["launch", "--json"], { cwd: dir });
    let stdout = "";
    let stderr = "";
    launcher.stdout.on("data", (d) => (stdout += d));
    launcher.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => launcher.on("exit", (c) => r(c)));
    await until("both jobs to start", () => started(dir) === 2);
    await pgc.stop();
    await sleep(2500); // the jobs finish while the database is down
    await pgc.start();
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /PostgreSQL: .*retrying in/, "the launcher said it was waiting for the database");
    assert.deepEqual(JSON.parse(stdout), {
      claimed: 3,
      completed: 3,
      failed: 0,
      interrupted: 0,
      stopped: 0,
      recovered: 0,
      lost: 0,
      abandoned: [],
    });
    await using store = await openStore({ kind: "postgres", url: pgc.url });
    assert.equal(await store.countJobs({ states: ["COMPLETED"] }), 3);
    assert.equal((await store.findRuns({ includeArchived: true })).length, 3, "no job ran twice");
  });
});
