import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BatchingTransport } from "./batching.ts";
import { LocalTransport } from "./local.ts";

test("writes and folders wait for flush; what reads or lists inside them flushes first", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ferry-batch-"));
  const inner = new LocalTransport();
  let writes = 0;
  const counting = Object.assign(Object.create(inner), {
    writeMany: (files: Parameters<LocalTransport["writeMany"]>[0]) => {
      writes++;
      return inner.writeMany(files);
    },
  }) as LocalTransport;
  const t = new BatchingTransport(counting);
  await t.mkdir(join(dir, "a", "tasks", "0"));
  await t.writeAtomic(join(dir, "a", "job.json"), "{}");
  await t.writeAtomic(join(dir, "b", "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
  assert.equal(existsSync(join(dir, "a")), false, "nothing on the target yet");
  assert.equal(t.pending, 3);
  assert.equal(await t.list(join(dir, "c")), null, "a folder outside the batch: no flush");
  assert.equal(existsSync(join(dir, "a")), false);
  const listed = await t.list(join(dir, "a"));
  assert.deepEqual(listed?.map((e) => e.name).sort(), ["job.json", "tasks"], "flushed before listing inside");
  assert.equal(writes, 1, "one writeMany for the batch");
  assert.equal(readFileSync(join(dir, "b", "run.sh"), "utf8"), "#!/bin/sh\n");
  await t.writeAtomic(join(dir, "b", "x"), "1");
  assert.equal(
    (await t.exec({ argv: ["cat", join(dir, "b", "x")] })).stdout,
    "1",
    "a command sees what came before",
  );
  await t.writeAtomic(join(dir, "b", "dropped"), "1");
  t.discard();
  await t.flush();
  assert.equal(existsSync(join(dir, "b", "dropped")), false);
});
