/**
 * Faults between ferry and the login node: the server going down mid-command, the master dying,
 * a silent network. ssh's failure is told apart from the command's, and a command cut off
 * mid-flight is reported with an unknown outcome — never run a second time behind the caller's back.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { SshTransport, SshTransportError } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { processesMentioning, type Sshd, SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd");
let lab: SshLab;
let login: Sshd;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login");
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

async function failure(p: Promise<unknown>): Promise<SshTransportError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof SshTransportError, `expected an SshTransportError, got ${String(e)}`);
  return e;
}

async function waitForFile(file: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) assert.fail(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("sshd stopped while commands run: in flight → unknown outcome; then unreachable; back → works again", {
  skip,
}, async () => {
  await using t = new SshTransport({ ...lab.transportOptions("login"), minReconnectIntervalMs: 100 });
  const dir = lab.remoteDir();
  // Each command counts its own runs, so a command sent twice would show.
  const running = [0, 1, 2].map((i) =>
    failure(t.exec({ argv: ["sh", "-c", `echo x >> ${dir}/runs-${i}; sleep 30`], timeoutMs: 60_000 })),
  );
  for (const i of [0, 1, 2]) await waitForFile(`${dir}/runs-${i}`);
  await login.stop();
  for (const e of await Promise.all(running)) {
    assert.equal(e.reason, "dropped");
    assert.equal(e.outcome, "unknown");
    assert.equal(e.retryable, true);
    assert.match(e.message, /may or may not have taken effect/);
  }
  const down = await failure(t.exec({ argv: ["touch", `${dir}/while-down`] }));
  assert.deepEqual([down.reason, down.outcome, down.retryable], ["unreachable", "not-run", true]);
  await login.start();
  assert.equal((await t.exec({ argv: ["echo", "back"] })).stdout, "back\n");
  for (const i of [0, 1, 2])
    assert.equal(fs.readFileSync(`${dir}/runs-${i}`, "utf8"), "x\n", "ran exactly once");
  assert.equal(fs.existsSync(`${dir}/while-down`), false);
});

test("a master that died while idle is replaced transparently: the command runs once", { skip }, async () => {
  await using t = new SshTransport({ ...lab.transportOptions("login"), minReconnectIntervalMs: 100 });
  await t.connect();
  const logins = login.logins();
  const [master] = processesMentioning(t.controlPath);
  assert.ok(master !== undefined, "the master runs");
  process.kill(master, "SIGKILL");
  const dir = lab.remoteDir();
  const r = await t.exec({ argv: ["sh", "-c", `echo x >> ${dir}/runs; echo done`] });
  assert.equal(r.stdout, "done\n");
  assert.equal(fs.readFileSync(`${dir}/runs`, "utf8"), "x\n");
  assert.equal(login.logins() - logins, 1, "one new login");
});

test("a silent network is noticed by keepalives: the command in flight fails with an unknown outcome", {
  skip,
}, async () => {
  await using t = new SshTransport({
    ...lab.transportOptions("login"),
    serverAliveIntervalS: 1,
    serverAliveCountMax: 2,
    minReconnectIntervalMs: 100,
  });
  const dir = lab.remoteDir();
  const inFlight = failure(
    t.exec({ argv: ["sh", "-c", `touch ${dir}/started; sleep 20`], timeoutMs: 60_000 }),
  );
  await waitForFile(`${dir}/started`);
  const t0 = Date.now();
  login.freeze();
  try {
    const e = await inFlight;
    assert.deepEqual([e.reason, e.outcome], ["dropped", "unknown"]);
    assert.ok(Date.now() - t0 < 15_000, `noticed after ${Date.now() - t0} ms`);
  } finally {
    login.thaw();
  }
  assert.equal((await t.exec({ argv: ["echo", "again"] })).stdout, "again\n");
});

test("many commands finding no connection make one login attempt, and attempts are spaced", {
  skip,
}, async () => {
  await using locked = await SshLab.create();
  const server = await locked.server("locked", { config: ["DenyUsers *"] });
  const before = server.connections();
  const starts: number[] = [];
  await using t = new SshTransport({
    ...locked.transportOptions("locked"),
    minReconnectIntervalMs: 700,
    onEvent: (e) => {
      if (e.type === "master:starting") starts.push(Date.now());
    },
  });
  const errors = await Promise.all(Array.from({ length: 10 }, () => failure(t.exec({ argv: ["true"] }))));
  assert.ok(errors.every((e) => e.reason === "auth"));
  assert.equal(server.connections() - before, 1, "one login attempt for ten commands");
  await failure(t.exec({ argv: ["true"] }));
  await failure(t.exec({ argv: ["true"] }));
  assert.equal(starts.length, 3);
  assert.ok(
    starts[1]! - starts[0]! >= 690 && starts[2]! - starts[1]! >= 690,
    `attempts at ${starts.map((s) => s - starts[0]!)}`,
  );
  assert.equal(server.connections() - before, 3);
});
