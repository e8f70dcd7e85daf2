/**
 * Files over the SSH transport: many files in one round trip each way, atomic replacement, and
 * the local transport's refusals (FIFO, device, outside link, oversize) applied on the remote side.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { TransportError } from "../src/model/errors.ts";
import { SshTransport } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { type Sshd, SshLab } from "./helpers/sshd.ts";
import { tempDir } from "./helpers/stores.ts";

const skip = skipUnless("sshd");
let lab: SshLab;
let login: Sshd;
let t: SshTransport;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login");
  t = new SshTransport(lab.transportOptions("login"));
});
after(async () => {
  await t?.close();
  await lab?.[Symbol.asyncDispose]();
});

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TransportError, String(e));
    return e.refusal;
  }
  return "read";
}

test("1,000 files go up in one session and come back down in one session each", { skip }, async () => {
  const dir = lab.remoteDir();
  const files = Array.from({ length: 1000 }, (_, i) => ({
    path: `${dir}/d${i % 10}/f-${i}.txt`,
    content: randomBytes(512).toString("base64"),
  }));
  let sessions = login.sessions();
  await t.writeMany(files);
  assert.equal(login.sessions() - sessions, 1, "one session for the whole upload");
  for (const f of files.slice(0, 50)) assert.equal(fs.readFileSync(f.path, "utf8"), f.content);
  assert.equal(fs.readdirSync(dir).length, 10);
  assert.ok(
    fs.readdirSync(`${dir}/d3`).every((n) => !n.startsWith(".ferry-put")),
    "no staging folder is left behind",
  );

  sessions = login.sessions();
  const read = await t.readMany(
    files.map((f) => f.path),
    { within: dir, maxBytes: 4096 },
  );
  assert.equal(login.sessions() - sessions, 1, "one session for the whole read");
  for (const f of files) assert.equal(read.get(f.path), f.content);

  const local = tempDir();
  sessions = login.sessions();
  await t.getMany(files.map((f, i) => ({ remote: f.path, local: path.join(local, `g-${i}`) })));
  assert.equal(login.sessions() - sessions, 1, "one session for the whole download");
  files.forEach((f, i) => {
    assert.equal(fs.readFileSync(path.join(local, `g-${i}`), "utf8"), f.content);
  });
});

test("put and get keep bytes and permissions; odd and long names work", { skip }, async () => {
  const dir = lab.remoteDir();
  const local = tempDir();
  const bin = randomBytes(300_000);
  fs.writeFileSync(path.join(local, "run.sh"), bin, { mode: 0o755 });
  await t.put(path.join(local, "run.sh"), `${dir}/run.sh`);
  assert.deepEqual(fs.readFileSync(`${dir}/run.sh`), bin);
  assert.equal(fs.statSync(`${dir}/run.sh`).mode & 0o777, 0o755);
  await t.get(`${dir}/run.sh`, path.join(local, "back"));
  assert.deepEqual(fs.readFileSync(path.join(local, "back")), bin);

  const long = `${dir}/${"l".repeat(120)}/${"m".repeat(140)}/${"n".repeat(90)}.json`;
  const odd = [
    `${dir}/with space`,
    `${dir}/quote'd "x"`,
    `${dir}/new\nline`,
    `${dir}/ünï`,
    `${dir}/$HOME`,
    long,
  ];
  await t.writeMany(odd.map((p) => ({ path: p, content: `content of ${p}` })));
  for (const p of odd) assert.equal(fs.readFileSync(p, "utf8"), `content of ${p}`);
  const back = await t.readMany(odd);
  for (const p of odd) assert.equal(back.get(p), `content of ${p}`);

  const sub = path.basename(lab.remoteDir());
  await t.writeAtomic(`${sub}/relative.txt`, "to the login folder");
  assert.equal(await t.read(`${sub}/relative.txt`), "to the login folder");
});

test("a reader never sees half a file while it is replaced", { skip }, async () => {
  const dir = lab.remoteDir();
  const a = "A".repeat(2_000_000);
  const b = "B".repeat(2_000_000);
  const hash = (s: string) => createHash("md5").update(s).digest("hex");
  await t.writeAtomic(`${dir}/big`, a);
  const reader = t.exec({
    argv: ["sh", "-c", `i=0; while [ $i -lt 150 ]; do md5sum < ${dir}/big; i=$((i+1)); done`],
    timeoutMs: 120_000,
  });
  for (let i = 0; i < 12; i++) await t.writeAtomic(`${dir}/big`, i % 2 === 0 ? b : a);
  const seen = new Set(
    (await reader).stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[0]),
  );
  for (const h of seen) assert.ok(h === hash(a) || h === hash(b), `a torn read: ${h}`);
});

test("writing over a folder fails and moves nothing", { skip }, async () => {
  const dir = lab.remoteDir();
  fs.mkdirSync(`${dir}/taken`);
  await assert.rejects(
    t.writeMany([
      { path: `${dir}/first`, content: "1" },
      { path: `${dir}/taken`, content: "2" },
    ]),
    /is a directory/,
  );
  assert.equal(fs.existsSync(`${dir}/first`), false);
  assert.deepEqual(fs.readdirSync(dir), ["taken"]);
});

test("reads refuse FIFOs, devices, directories and link loops without blocking", { skip }, async () => {
  const dir = lab.remoteDir();
  execFileSync("mkfifo", [`${dir}/fifo`]);
  fs.symlinkSync("/dev/zero", `${dir}/zero`);
  fs.symlinkSync(`${dir}/loop-b`, `${dir}/loop-a`);
  fs.symlinkSync(`${dir}/loop-a`, `${dir}/loop-b`);
  fs.mkdirSync(`${dir}/sub`);
  fs.symlinkSync(`${dir}/gone`, `${dir}/dangling`);
  const t0 = Date.now();
  assert.equal(await refusal(t.read(`${dir}/fifo`)), "not-a-file");
  assert.equal(await refusal(t.read(`${dir}/zero`)), "not-a-file");
  assert.equal(await refusal(t.read(`${dir}/zero`, { within: dir })), "outside");
  assert.equal(await refusal(t.read(`${dir}/loop-a`)), "not-a-file");
  assert.equal(await refusal(t.read(`${dir}/sub`)), "not-a-file");
  assert.equal(await t.read(`${dir}/missing`), null);
  assert.equal(await t.read(`${dir}/dangling`), null);
  assert.equal(await t.read(`${dir}/missing-dir/x`), null);
  assert.ok(Date.now() - t0 < 20_000, "no read blocked");
});

test("reads bound the size and keep links inside the folder", { skip }, async () => {
  const dir = lab.remoteDir();
  const outside = lab.remoteDir();
  fs.writeFileSync(`${dir}/big`, "x".repeat(5000));
  fs.writeFileSync(`${dir}/ok`, "hello");
  fs.writeFileSync(`${outside}/secret`, "not yours");
  fs.symlinkSync(`${dir}/ok`, `${dir}/inside-link`);
  fs.symlinkSync(`${outside}/secret`, `${dir}/outside-link`);
  fs.mkdirSync(`${dir}/d`);
  fs.symlinkSync("../ok", `${dir}/d/relative-link`);
  assert.equal(await refusal(t.read(`${dir}/big`, { maxBytes: 4096 })), "too-large");
  assert.equal(await t.read(`${dir}/big`, { maxBytes: 5000 }), "x".repeat(5000));
  assert.equal(await t.read(`${dir}/inside-link`, { within: dir }), "hello");
  assert.equal(await t.read(`${dir}/d/relative-link`, { within: `${dir}/` }), "hello");
  assert.equal(await refusal(t.read(`${dir}/outside-link`, { within: dir })), "outside");
  assert.equal(
    await refusal(t.read(`${dir}/../${path.basename(outside)}/secret`, { within: dir })),
    "outside",
  );
  const many = await t.readMany([`${dir}/ok`, `${dir}/big`, `${dir}/none`, `${dir}/outside-link`], {
    maxBytes: 100,
    within: dir,
  });
  assert.equal(many.get(`${dir}/ok`), "hello");
  assert.ok(many.get(`${dir}/big`) instanceof TransportError);
  assert.equal(many.get(`${dir}/none`), null);
  assert.equal((many.get(`${dir}/outside-link`) as TransportError).refusal, "outside");
});
