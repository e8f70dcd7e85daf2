import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { dialects, tempDir } from "../../test/helpers/stores.ts";
import { bundlePaths } from "../bundle/layout.ts";
import { addFlow } from "../engine/add-flow.ts";
import { claimRuns } from "../engine/claim.ts";
import { flow } from "../flow/builder.ts";
import { LocalTransport } from "../transport/local.ts";
import { releaseUnstarted } from "./unstarted.ts";

test("runs a launcher holds but never started go back to READY; started or busy ones stay", async () => {
  await using t = await dialects()[0]!.open();
  const s = t.store;
  const f = flow("u");
  for (const n of ["a", "b", "c"]) f.job(n, { sh: "true" });
  await addFlow(s, f.build());
  const owner = "login:1:abcdef";
  const { claimed } = await claimRuns(s, {
    worker: { name: "w", workDir: tempDir(), categories: [] },
    limit: 3,
    to: "RUNNING",
    mode: "pull",
    leaseOwner: owner,
    leaseMs: 60_000,
    host: "login",
  });
  const [a, b, c] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
  const started = bundlePaths(b.launchDir).started;
  mkdirSync(join(started, ".."), { recursive: true });
  writeFileSync(
    started,
    JSON.stringify({ runId: b.runId, at: 1, host: "login", pid: 1, schedulerJobId: "" }),
  );
  const mine = await s.findRuns({ leaseOwner: owner });
  const released = await releaseUnstarted(s, new LocalTransport(), mine, (id) => id === c.runId);
  assert.deepEqual(released, [a.runId]);
  assert.equal((await s.getJob(a.job.id))!.state, "READY");
  assert.equal((await s.getRun(a.runId))!.state, "INTERRUPTED");
  assert.equal((await s.getJob(b.job.id))!.state, "RUNNING", "it started: its wrapper may still run");
  assert.equal((await s.getJob(c.job.id))!.state, "RUNNING", "being started by the launcher");
});
