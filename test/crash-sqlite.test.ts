/**
 * `ferry add` while the SQLite file is away and a launcher still holds it: the -wal and -shm
 * beside the missing file say so, and ferry must not create an empty database there (issue #8:
 * it did, reported success, and the flow was lost).
 */
import assert from "node:assert/strict";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { tempDir } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("ferry add refuses to create a database beside a held one's -wal and -shm; nothing is lost", async () => {
  const dir = tempDir("ferry-away-");
  writeFileSync(join(dir, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
  writeFileSync(
    join(dir, "a.yaml"),
    `name: a\njobs:\n  - {name: wait, sh: 'while [ ! -e "${dir}/go" ]; do sleep 0.1; done'}\n`,
  );
  writeFileSync(join(dir, "b.yaml"), "name: b\njobs:\n  - {name: other, sh: 'true'}\n");
  assert.equal((await ferry(["add", "a.yaml"], { cwd: dir })).code, 0);
  const db = join(dir, ".ferry", "ferry.db");
  assert.ok(existsSync(db), "the project's database is .ferry/ferry.db");
  const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir });
  const exited = new Promise<number | null>((r) => launcher.on("exit", (c) => r(c)));
  const end = Date.now() + 30_000;
  while (!existsSync(join(dir, "runs", "flow-1", "wait-1", "_ferry", "started.json")) && Date.now() < end)
    await sleep(50);
  assert.ok(existsSync(`${db}-wal`) && existsSync(`${db}-shm`), "the launcher holds the database");
  renameSync(db, `${db}.away`);
  const add = await ferry(["add", "b.yaml"], { cwd: dir });
  assert.equal(add.code, 5, add.stdout + add.stderr);
  assert.match(add.stderr, /no database at .*ferry\.db, but .*-wal and .*-shm are still there/);
  assert.equal(existsSync(db), false, "no empty database was created");
  renameSync(`${db}.away`, db);
  writeFileSync(join(dir, "go"), "");
  assert.equal(await exited, 0);
  const again = await ferry(["add", "b.yaml"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
    name: string;
    state: string;
  }[];
  assert.deepEqual(
    jobs.map((j) => [j.name, j.state]),
    [
      ["wait", "COMPLETED"],
      ["other", "READY"],
    ],
  );
});
