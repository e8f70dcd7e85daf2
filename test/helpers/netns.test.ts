import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { skipUnless } from "./components.ts";
import { runIsolated, spawnIsolatedDetached } from "./netns.ts";

const skip = skipUnless("netns");

// Prints "connected" or the error code of a TCP connection to 127.0.0.1:argv[1].
const PROBE = `
const socket = require("node:net").connect(Number(process.argv[1]), "127.0.0.1");
socket.setTimeout(5000, () => { console.log("TIMEOUT"); process.exit(4); });
socket.on("connect", () => { console.log("connected"); process.exit(0); });
socket.on("error", (error) => { console.log(error.code); process.exit(3); });
`;

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "ferry-netns-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Gone or a zombie: a zombie has exited and only waits to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

test("inside, a server on the host's 127.0.0.1 is out of reach", { skip }, async () => {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as { port: number };
    const probe = [process.execPath, "-e", PROBE, String(port)];

    const outside = await promisify(execFile)(probe[0]!, probe.slice(1));
    assert.equal(
      outside.stdout.trim(),
      "connected",
      "the probe works outside, so a failure inside means isolation",
    );

    const inside = await runIsolated(probe, { timeoutMs: 20_000 });
    assert.equal(inside.stdout.trim(), "ECONNREFUSED", inside.stderr);
    assert.equal(inside.exitCode, 3);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("inside, the only network interface is the namespace's own loopback", { skip }, async () => {
  const { exitCode, stdout } = await runIsolated(["cat", "/proc/net/dev"]);
  assert.equal(exitCode, 0);
  const interfaces = stdout
    .split("\n")
    .slice(2)
    .filter((line) => line.includes(":"))
    .map((line) => line.split(":")[0]!.trim());
  assert.deepEqual(interfaces, ["lo"]);
});

test(
  "a file written inside is visible outside, and cwd and env reach the command",
  { skip },
  withTempDir(async (dir) => {
    const result = await runIsolated(["sh", "-c", 'printf "%s" "$GREETING" > "$1"', "sh", "from-ns.txt"], {
      cwd: dir,
      env: { GREETING: "hello from the compute node" },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(readFileSync(join(dir, "from-ns.txt"), "utf8"), "hello from the compute node");
  }),
);

test("a command that outlives its timeout is killed", { skip }, async () => {
  const started = Date.now();
  const result = await runIsolated(["sleep", "30"], { timeoutMs: 200 });
  assert.equal(result.timedOut, true);
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, "SIGKILL");
  assert.ok(Date.now() - started < 10_000);
});

test(
  "a detached process runs in another network namespace and writes its output files",
  { skip },
  withTempDir(async (dir) => {
    const stdoutPath = join(dir, "job.out");
    const stderrPath = join(dir, "job.err");
    const pid = await spawnIsolatedDetached(["sh", "-c", "echo started; echo warning >&2; exec sleep 60"], {
      cwd: dir,
      stdoutPath,
      stderrPath,
    });
    try {
      for (let i = 0; i < 200 && !readFileSync(stdoutPath, "utf8").includes("started"); i++) await sleep(25);
      assert.equal(readFileSync(stdoutPath, "utf8"), "started\n");
      assert.equal(readFileSync(stderrPath, "utf8"), "warning\n");
      // The returned pid is the command itself (sh exec'd sleep), in a namespace other than ours;
      // the exec follows the echoes, so wait for it rather than read the command line once
      const cmdline = () => readFileSync(`/proc/${pid}/cmdline`, "utf8");
      for (let i = 0; i < 200 && !cmdline().startsWith("sleep\0"); i++) await sleep(25);
      assert.match(cmdline(), /^sleep\0/);
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync("/proc/self/ns/net"));
    } finally {
      process.kill(-pid, "SIGKILL");
    }
    for (let i = 0; i < 200 && running(pid); i++) await sleep(25);
    assert.equal(running(pid), false);
  }),
);
