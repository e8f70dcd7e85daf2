import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import test from "node:test";
import pg from "pg";
import { skipUnless } from "./components.ts";
import { pgClusterAvailable, startPgCluster } from "./pg-cluster.ts";

// Under FERRY_TEST_REQUIRE_ALL (CI runs as root) a missing server must fail, not skip.
const skip =
  skipUnless("postgres") ||
  (pgClusterAvailable() || process.env.FERRY_TEST_REQUIRE_ALL === "1"
    ? false
    : "needs root and a PostgreSQL server in /usr/lib/postgresql/*/bin");

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // A server shutting down sends an error to idle sessions; unheard, it would crash the test process.
  client.on("error", () => {});
  await client.connect();
  return client;
}

test("a throwaway cluster can be stopped, started again on the same port, and disposed", {
  skip,
}, async () => {
  let dir: string;
  let url: string;
  {
    await using cluster = await startPgCluster();
    ({ dir, url } = cluster);
    assert.match(url, /^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

    const before = await connect(url);
    await before.query("create table kept (n int); insert into kept values (42)");

    await cluster.stop();
    await assert.rejects(before.query("select 1"));
    await before.end().catch(() => {});
    await assert.rejects(connect(url), { code: "ECONNREFUSED" });

    await cluster.start();
    const after = await connect(url);
    try {
      // The same cluster, not a new one: the row written before the stop is still there.
      const { rows } = await after.query("select n from kept");
      assert.deepEqual(rows, [{ n: 42 }]);
    } finally {
      await after.end();
    }
  }
  assert.equal(existsSync(dir), false);
  await assert.rejects(connect(url), { code: "ECONNREFUSED" });
});
