/** Commands over the SSH transport against a real sshd on loopback: exit codes, stderr, failures. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { TransportError } from "../src/model/errors.ts";
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

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("exec returns the remote exit code, stdout and stderr; 255 from the command is an exit code", {
  skip,
}, async () => {
  await using t = new SshTransport(lab.transportOptions("login"));
  const r = await t.exec({ argv: ["sh", "-c", "id -un; echo oops >&2; exit 5"] });
  assert.deepEqual(r, { exitCode: 5, stdout: `${lab.user}\n`, stderr: "oops\n" });
  const r255 = await t.exec({ argv: ["sh", "-c", "echo before; exit 255"] });
  assert.deepEqual(r255, { exitCode: 255, stdout: "before\n", stderr: "" });
  const killed = await t.exec({ argv: ["sh", "-c", "kill -9 $$"] });
  assert.equal(killed.exitCode, 137);
});

test("arguments, environment, working directory and stdin arrive exactly as given", { skip }, async () => {
  await using t = new SshTransport(lab.transportOptions("login"));
  const dir = lab.remoteDir();
  const nasty = ["a b", "it's", '"q"', "$HOME", "`id`", "x;y", "*", "line\nbreak", "é ü"];
  const r = await t.exec({ argv: ["printf", "[%s]\\n", ...nasty] });
  assert.equal(r.stdout, nasty.map((a) => `[${a}]\n`).join(""));
  const env = await t.exec({ argv: ["sh", "-c", 'printf %s "$FERRY_X"'], env: { FERRY_X: "a 'b' $c `d`" } });
  assert.equal(env.stdout, "a 'b' $c `d`");
  assert.equal((await t.exec({ argv: ["pwd"], cwd: dir })).stdout, `${dir}\n`);
  assert.equal(
    (await t.exec({ argv: ["cat"], stdin: "to stdin\nno newline" })).stdout,
    "to stdin\nno newline",
  );
  await assert.rejects(t.exec({ argv: ["true"], env: { "BAD-NAME": "x" } }), TypeError);
  await assert.rejects(
    t.exec({ argv: ["pwd"], cwd: `${dir}/missing` }),
    (e: unknown) => e instanceof TransportError && !e.retryable && /working directory/.test(e.message),
  );
});

test("a timed-out command is ended on the remote side too", { skip }, async () => {
  await using t = new SshTransport(lab.transportOptions("login"));
  const dir = lab.remoteDir();
  const t0 = Date.now();
  const r = await t.exec({ argv: ["sh", "-c", `echo $$ > ${dir}/pid; exec sleep 60`], timeoutMs: 1500 });
  assert.equal(r.exitCode, null);
  assert.match(r.stderr, /killed after 1500 ms/);
  assert.ok(Date.now() - t0 < 10_000, "returned soon after the timeout");
  const pid = Number(fs.readFileSync(`${dir}/pid`, "utf8"));
  await waitFor("the remote sleep to end", async () => !(await t.processAlive(pid)));
});

test("30 concurrent commands share one login and stay within the server's session limit", {
  skip,
}, async () => {
  const before = login.logins();
  await using t = new SshTransport(lab.transportOptions("login"));
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => t.exec({ argv: ["sh", "-c", `sleep 0.3; echo ${i}`] })),
  );
  assert.deepEqual(
    results.map((r) => r.stdout),
    results.map((_, i) => `${i}\n`),
  );
  assert.equal(login.logins() - before, 1, "one connection for all of them (no fallback connections)");
});

test("sessions the server refuses are sent again, never over a connection of their own", {
  skip,
}, async () => {
  await using tight = await SshLab.create();
  const server = await tight.server("tight", { config: ["MaxSessions 2"] });
  await using t = new SshTransport({ ...tight.transportOptions("tight"), maxSessions: 4 });
  const results = await Promise.all(Array.from({ length: 8 }, () => t.exec({ argv: ["sleep", "0.2"] })));
  assert.ok(results.every((r) => r.exitCode === 0));
  assert.equal(server.logins(), 1);
});

test("folders: mkdir, list, rename, remove", { skip }, async () => {
  await using t = new SshTransport(lab.transportOptions("login"));
  const dir = lab.remoteDir();
  await t.mkdir(`${dir}/a/b c`);
  await t.writeAtomic(`${dir}/a/f.txt`, "x");
  fs.symlinkSync(`${dir}/a/b c`, `${dir}/a/link`);
  const names = (await t.list(`${dir}/a`))!.sort((x, y) => x.name.localeCompare(y.name));
  assert.deepEqual(names, [
    { name: "b c", isDirectory: true },
    { name: "f.txt", isDirectory: false },
    { name: "link", isDirectory: false },
  ]);
  assert.equal(await t.list(`${dir}/nope`), null);
  await assert.rejects(t.list(`${dir}/a/f.txt`), TransportError);
  await t.rename(`${dir}/a/f.txt`, `${dir}/a/g.txt`);
  assert.equal(fs.readFileSync(`${dir}/a/g.txt`, "utf8"), "x");
  await assert.rejects(t.rename(`${dir}/a/g.txt`, `${dir}/a/b c`), TransportError);
  await assert.rejects(t.remove(`${dir}/a`), TransportError, "a folder needs recursive");
  await t.remove(`${dir}/a/g.txt`);
  await t.remove(`${dir}/a`, { recursive: true });
  assert.equal(fs.existsSync(`${dir}/a`), false);
});

test("processAlive reads the remote command line; signal ends the process", { skip }, async () => {
  await using t = new SshTransport(lab.transportOptions("login"));
  const r = await t.exec({ argv: ["sh", "-c", "nohup sleep 300 >/dev/null 2>&1 & echo $!"] });
  const pid = Number(r.stdout.trim());
  assert.equal(await t.processAlive(pid), true);
  assert.equal(await t.processAlive(pid, "sleep"), true);
  assert.equal(await t.processAlive(pid, "not-in-its-argv"), false);
  assert.equal(await t.signal(pid, "SIGTERM"), true);
  await waitFor("the process to end", async () => !(await t.processAlive(pid)));
  assert.equal(await t.signal(pid, "SIGTERM"), false);
  assert.equal(await t.processAlive(2 ** 31 - 2), false);
});

test("ssh's own failure is an SshTransportError, not an exit code", { skip }, async () => {
  await using down = await SshLab.create();
  const server = await down.server("down");
  await server.stop();
  await using t = new SshTransport(down.transportOptions("down"));
  const e = await t.exec({ argv: ["true"] }).catch((x: unknown) => x);
  assert.ok(e instanceof SshTransportError, String(e));
  assert.equal(e.reason, "unreachable");
  assert.equal(e.outcome, "not-run");
  assert.equal(e.retryable, true);
  assert.match(e.message, /Connection refused/);
});

test("close ends the master and leaves no process or socket behind; a closed transport refuses work", {
  skip,
}, async () => {
  const t = new SshTransport(lab.transportOptions("login"));
  await t.exec({ argv: ["true"] });
  assert.equal(fs.existsSync(t.controlPath), true);
  assert.ok(processesMentioning(t.controlPath).length > 0, "the master runs");
  await t.close();
  assert.equal(fs.existsSync(t.controlPath), false);
  assert.deepEqual(processesMentioning(t.controlPath), []);
  await assert.rejects(t.exec({ argv: ["true"] }), /closed/);
});
