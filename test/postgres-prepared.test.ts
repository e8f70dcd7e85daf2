/**
 * On PostgreSQL the store runs its statements as named prepared statements, parsed and planned
 * once per connection (src/store/postgres/client.ts). Reads, writes and transactions must go on
 * working when the server's prepared statements are no longer what the client believes:
 * another process changed a table's shape behind one (a newer ferry's migration adds a column
 * behind `SELECT *`: "cached plan must not change result type"), or the connection forgot them
 * (DISCARD ALL, or a pooler such as PgBouncer handing the client another server connection:
 * "prepared statement … does not exist").
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import pg from "pg";
import { addFlow } from "../src/engine/add-flow.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { flow } from "../src/flow/builder.ts";
import type { Store } from "../src/store/store.ts";
import { dialects } from "./helpers/stores.ts";

const postgres = dialects().find((d) => d.name === "postgres")!;

async function preparedHere(store: Store): Promise<string[]> {
  return store.db.transaction(async (tx) =>
    (await tx.all<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name")).map(
      (r) => r.name,
    ),
  );
}

const claim = (store: Store) =>
  claimRuns(store, {
    worker: { name: "local", workDir: "/scratch/runs", categories: [] },
    limit: 1,
    to: "RUNNING",
    mode: "pull",
    leaseOwner: "t",
    leaseMs: 60_000,
    host: "test",
  });

/** A fresh store holding one flow of `n` independent jobs j0, j1, …; returns j0's id. */
async function withJobs(ts: { store: Store }, n: number): Promise<number> {
  const f = flow("p");
  for (let i = 0; i < n; i++) f.job(`j${i}`, { sh: "true" });
  return (await addFlow(ts.store, f.build())).jobIds.j0!;
}

describe("prepared statements on PostgreSQL", { skip: postgres.skip }, () => {
  test("statements are prepared once per connection and reused", async () => {
    await using ts = await postgres.open();
    await withJobs(ts, 3);
    for (let i = 0; i < 3; i++) assert.equal((await claim(ts.store)).claimed.length, 1);
    const names = await preparedHere(ts.store);
    assert.ok(names.filter((n) => n.startsWith("ferry_")).length >= 3, `prepared: ${names.join(", ")}`);
    // a name is a hash of the statement's text: the same in every process
    const again = await ts.reopen();
    await claim(again);
    const theirs = await preparedHere(again);
    assert.ok(
      theirs.some((n) => n.startsWith("ferry_") && names.includes(n)),
      "another store names the claim statement alike",
    );
  });

  test("a connection that forgot its prepared statements: queries and transactions go on", async () => {
    await using ts = await postgres.open();
    const id = await withJobs(ts, 4);
    assert.equal((await claim(ts.store)).claimed.length, 1);
    assert.equal((await ts.store.getJob(id))?.name, "j0");
    // every idle connection of the pool forgets (the pool reuses the one released last)
    for (let i = 0; i < 4; i++) await ts.store.db.exec("DEALLOCATE ALL");
    assert.equal((await ts.store.getJob(id))?.name, "j0", "read outside a transaction");
    const { claimed, failed } = await claim(ts.store);
    assert.deepEqual([claimed.length, failed.length], [1, 0], "a claim in a transaction");
    assert.equal((await ts.store.findRuns({})).length, 2, "both claims wrote their run");
  });

  test("a table changed behind a prepared statement: queries and transactions go on", async () => {
    await using ts = await postgres.open();
    const id = await withJobs(ts, 4);
    // prepare `SELECT * FROM jobs …` on the pool's connection and on a transaction's
    assert.equal((await ts.store.getJob(id))?.name, "j0");
    await ts.store.transaction(async (tx) => assert.equal((await tx.getJob(id))?.name, "j0"));
    assert.equal((await claim(ts.store)).claimed.length, 1);

    const target = ts.target as { url: string; schema: string };
    const other = new pg.Client({ connectionString: target.url });
    await other.connect();
    try {
      await other.query(`ALTER TABLE ${target.schema}.jobs ADD COLUMN added_by_a_newer_ferry integer`);
      await other.query(`ALTER TABLE ${target.schema}.runs ADD COLUMN added_by_a_newer_ferry integer`);
    } finally {
      await other.end();
    }

    assert.equal((await ts.store.getJob(id))?.name, "j0", "read outside a transaction");
    const inTx = await ts.store.transaction(async (tx) => (await tx.getJob(id))?.name);
    assert.equal(inTx, "j0", "read inside a transaction");
    const { claimed, failed } = await claim(ts.store);
    assert.deepEqual([claimed.length, failed.length], [1, 0], "a claim after the change");
    const runs = await ts.store.findRuns({});
    assert.equal(runs.length, 2, "both claims wrote their run");
  });
});
