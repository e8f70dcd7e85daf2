/** The local transport's untrusted reads: never block, never unbounded, never outside the folder. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers/stores.ts";
import { TransportError } from "../model/errors.ts";
import { LocalTransport } from "./local.ts";

const t = new LocalTransport();

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TransportError, String(e));
    return e.refusal;
  }
  return "read";
}

test("read refuses FIFOs, devices, directories and link loops without blocking", async () => {
  const dir = tempDir();
  execFileSync("mkfifo", [join(dir, "fifo")]);
  symlinkSync("/dev/zero", join(dir, "zero"));
  symlinkSync(join(dir, "loop-b"), join(dir, "loop-a"));
  symlinkSync(join(dir, "loop-a"), join(dir, "loop-b"));
  mkdirSync(join(dir, "sub"));
  assert.equal(await refusal(t.read(join(dir, "fifo"))), "not-a-file");
  assert.equal(await refusal(t.read(join(dir, "zero"))), "not-a-file");
  assert.equal(await refusal(t.read(join(dir, "zero"), { within: dir })), "outside");
  assert.equal(await refusal(t.read(join(dir, "loop-a"))), "not-a-file");
  assert.equal(await refusal(t.read(join(dir, "sub"))), "not-a-file");
  assert.equal(await t.read(join(dir, "missing")), null);
});

test("read bounds the size and keeps links inside the folder", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "big"), "x".repeat(5000));
  writeFileSync(join(dir, "ok"), "hello");
  symlinkSync(join(dir, "ok"), join(dir, "inside-link"));
  assert.equal(await refusal(t.read(join(dir, "big"), { maxBytes: 4096 })), "too-large");
  assert.equal(await t.read(join(dir, "inside-link"), { within: dir }), "hello");
  const many = await t.readMany([join(dir, "ok"), join(dir, "big"), join(dir, "none")], { maxBytes: 100 });
  assert.equal(many.get(join(dir, "ok")), "hello");
  assert.ok(many.get(join(dir, "big")) instanceof TransportError);
  assert.equal(many.get(join(dir, "none")), null);
});

test("processAlive checks the command line, not just the pid", async () => {
  assert.equal(await t.processAlive(process.pid), true);
  assert.equal(await t.processAlive(process.pid, "definitely-not-in-argv-xyz"), false);
  assert.equal(await t.processAlive(2 ** 31 - 2), false);
});
