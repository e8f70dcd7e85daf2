/**
 * Acceptance of managed mode (issue 9): a real sshd on loopback with a one-time code after the
 * key, the real SLURM cluster reached only through that SSH login (sbatch, squeue and sacct run
 * as the test user over the runner's connection), and the compute side in a network namespace
 * of its own (the worker's preRun puts sh/node/python wrappers first in PATH that enter
 * `unshare -rn`: the tasks see no interface but their own loopback). A flow of sh and js jobs
 * with references runs to COMPLETED through `ferry runner start` in a terminal, and the code is
 * asked once; through a ProxyJump (a second sshd as the bastion) the same flow completes; a host
 * whose key is unknown is a clear error naming its fingerprint, and nothing reaches the queue.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runNameSuffix } from "../src/schedulers/common/names.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { FLOW, FLOW_JOBS, ferryInPty, PY_TASKS, TASKS, TOTAL, waitFor } from "./helpers/runner.ts";
import { processesMentioning, type Sshd, SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("sshd", "slurm", "netns");
const CODE = "424242";
let lab: SshLab;
let login: Sshd;
let remote: string;

/** sh, node and python3 that run their program in a new user + network namespace. */
function isolatedBin(dir: string): string {
  const bin = join(dir, "bin");
  fs.mkdirSync(bin);
  for (const [name, real] of [
    ["sh", "/bin/sh"],
    ["node", "/usr/bin/node"],
    ["python3", "/usr/bin/python3"],
  ] as const)
    fs.writeFileSync(join(bin, name), `#!/bin/sh\nexec unshare -rn -- ${real} "$@"\n`, { mode: 0o755 });
  const owner = fs.statSync(dir);
  for (const f of [bin, ...fs.readdirSync(bin).map((n) => join(bin, n))])
    fs.chownSync(f, owner.uid, owner.gid);
  return bin;
}

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login", { mfa: { code: CODE } });
  const bastion = await lab.server("bastion");
  lab.jump("login-via-bastion", login, bastion);
  remote = lab.remoteDir();
  isolatedBin(remote);
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

function slurmWorker(host: string, workDir: string) {
  return {
    hpc: {
      mode: "managed",
      host,
      ssh: { configFile: lab.configFile },
      scheduler: "slurm",
      workDir,
      heartbeatSeconds: 2,
      statusIntervalSeconds: 1,
      cycleSeconds: 1,
      node: "node",
      preRun: `PATH=${remote}/bin:$PATH; export PATH`,
      defaultResources: { walltime: "5:00" },
    },
  };
}

/** The flow plus two probes of the compute side's network. */
function flowWithProbes(port: number): string {
  return `${FLOW}  - {name: reach, parents: [setup], inputs: {host: "127.0.0.1", port: ${port}}, js: ./tasks.mjs#probe}
  - name: ifaces
    sh: |
      echo "{\\"ifaces\\": $(tail -n +3 /proc/net/dev | wc -l)}" > "$FERRY_OUTPUTS"
`;
}

async function listening(): Promise<{ port: number; close(): void }> {
  const { createServer } = await import("node:net");
  const server = createServer((s) => s.end()).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** Runs the flow through `ferry runner start --foreground` in a terminal; returns what it showed. */
async function runThrough(host: string): Promise<{ p: TestProject; shown: string; answered: number }> {
  const p = await testProject(dialects()[0]!, {}, { workers: slurmWorker(host, lab.remoteDir()) });
  const server = await listening();
  p.file("tasks.mjs", TASKS);
  p.file("twice.py", PY_TASKS);
  p.file("flow.yaml", flowWithProbes(server.port));
  assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
  const checks = login.codeChecks();
  const runner = ferryInPty(["runner", "start", "--foreground"], {
    cwd: p.dir,
    prompt: /\[[\w.-]+\] [^\n]*Password: /,
    answer: CODE,
  });
  try {
    await waitFor(
      "every job COMPLETED",
      async () => {
        const failed = await p.store.countJobs({ states: ["FAILED", "HELD"] });
        if (failed > 0) throw new Error(`a job failed or was held:\n${runner.output()}`);
        return (await p.store.countJobs({ states: ["COMPLETED"] })) === FLOW_JOBS + 2;
      },
      240_000,
    );
    const stop = await ferry(["runner", "stop", "--wait"], { cwd: p.dir });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await runner.exited, 0, runner.output());
  } finally {
    runner.child.kill("SIGKILL");
    server.close();
  }
  assert.equal(login.codeChecks() - checks, 1, "the login node checked one code");
  assert.deepEqual(processesMentioning(join(p.dir, ".ferry")), [], "the runner closed its ssh connection");
  return { p, shown: runner.output(), answered: runner.answered() };
}

async function assertFlowOutputs(p: TestProject): Promise<void> {
  const jobs = await p.jobs(1);
  assert.deepEqual(jobs.sum!.outputs, { total: TOTAL });
  assert.deepEqual(jobs.twice!.outputs, { twice: 2 * TOTAL }, "the py task ran with the worker's python");
  assert.deepEqual(jobs.s3!.outputs, { value: 12 });
  assert.notEqual(
    (jobs.reach!.outputs as { reached: string }).reached,
    "connected",
    "js tasks reach no network",
  );
  assert.deepEqual(jobs.ifaces!.outputs, { ifaces: 1 }, "sh tasks see only their own loopback");
  const runs = await p.store.findRuns({ modes: ["managed"] });
  assert.equal(runs.length, FLOW_JOBS + 2, "one run per job: nothing ran twice");
  for (const r of runs) assert.match(r.schedulerId ?? "", /^\d+$/, "every run went through sbatch");
  // the runs belonged to the test user on the cluster side, through SLURM (job ids are reused
  // after a slurmctld restart: only this test's jobs, by their run names)
  const ids = runs.map((r) => r.schedulerId!).join(",");
  let acct = "";
  const ours = () =>
    acct
      .trim()
      .split("\n")
      .filter((r) =>
        runs.some(
          (run) => r.startsWith(`${run.schedulerId}|`) && r.endsWith(runNameSuffix(run.id, run.launchDir!)),
        ),
      );
  // slurmdbd records a job a moment after it ends
  await waitFor("SLURM's accounting of every run", async () => {
    acct = execFileSync("sacct", ["-n", "-X", "-P", "-j", ids, "-o", "JobID,User,State,JobName"], {
      encoding: "utf8",
    });
    return ours().length === runs.length;
  });
  const rows = ours();
  for (const row of rows) assert.match(row, new RegExp(`^\\d+\\|${lab.user}\\|COMPLETED\\|ferry-`));
}

describe("the runner over SSH with a one-time code, on SLURM", { skip }, () => {
  test("a flow of sh and js jobs completes through ferry runner start; the code is asked once", async () => {
    const { p, shown, answered } = await runThrough("login");
    try {
      await assertFlowOutputs(p);
      assert.equal(answered, 1, `one prompt:\n${shown}`);
      assert.equal([...shown.matchAll(/\[login\] [^\n]*Password: /g)].length, 1);
      const logs = await ferry(["runner", "logs", "--json"], { cwd: p.dir });
      const prompts = logs.stdout
        .split("\n")
        .filter((l) => l.includes('"step":"ssh"') && l.includes("login prompt"));
      assert.equal(prompts.length, 1);
      assert.ok(!logs.stdout.includes(CODE), "the code never reaches the log");
    } finally {
      await p[Symbol.asyncDispose]();
    }
  });

  test("through a ProxyJump (a second sshd as the bastion) the same flow completes", async () => {
    const { p, answered } = await runThrough("login-via-bastion");
    try {
      await assertFlowOutputs(p);
      assert.equal(answered, 1);
    } finally {
      await p[Symbol.asyncDispose]();
    }
  });

  test("an unknown host key: a clear error with the fingerprint, nothing submitted", async () => {
    const stranger = await lab.server("stranger", { unknownHostKey: true });
    await using p = await testProject(
      dialects()[0]!,
      {},
      { workers: slurmWorker("stranger", lab.remoteDir()) },
    );
    p.file("tasks.mjs", TASKS);
    p.file("twice.py", PY_TASKS);
    p.file("flow.yaml", FLOW);
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let out = "";
    runner.stdout.on("data", (c) => (out += c));
    const exited = new Promise((r) => runner.once("exit", r));
    let lastError = "";
    try {
      await waitFor("the worker to be unreachable", async () => {
        const s = JSON.parse((await ferry(["runner", "status", "--json"], { cwd: p.dir })).stdout) as {
          workers: { state: string; lastError: string | null }[];
        };
        lastError = s.workers[0]?.lastError ?? "";
        return s.workers[0]?.state === "unreachable";
      });
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: p.dir })).code, 0);
      await exited;
    } finally {
      runner.kill("SIGKILL");
    }
    const fingerprint = execFileSync("ssh-keygen", ["-l", "-f", "-"], {
      input: stranger.hostKeyPub,
      encoding: "utf8",
    }).split(" ")[1]!;
    assert.match(lastError, /host key/i);
    assert.ok(lastError.includes(fingerprint), `${lastError} names ${fingerprint}`);
    assert.ok(out.includes(fingerprint), "the log line names it too");
    assert.equal(stranger.logins(), 0, "never logged in");
    assert.equal((await p.store.findRuns({ modes: ["managed"] })).length, 0, "no job was claimed");
    assert.equal(await p.store.countJobs({ states: ["READY"] }), 1, "setup waits, READY");
    const queued = execFileSync("squeue", ["-h", "-u", lab.user, "-o", "%j"], { encoding: "utf8" });
    assert.doesNotMatch(queued, /ferry-setup/);
  });
});
