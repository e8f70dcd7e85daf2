/**
 * A detached runner and a host that asks a one-time code: `ferry runner start` in a terminal
 * logs in first (the code is typed once, there), then detaches; the detached runner reuses that
 * connection and completes the flow. When the connection is lost (the login node restarts its
 * sshd), the detached runner cannot answer the next prompt: the worker says needs-login with
 * what to do, and nothing hangs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { testProject } from "./helpers/project.ts";
import { FLOW, FLOW_JOBS, ferryInPty, PY_TASKS, TASKS, TOTAL, waitFor } from "./helpers/runner.ts";
import { processesMentioning, type Sshd, SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";

const skip = skipUnless("sshd");
const CODE = "424242";
let lab: SshLab;
let login: Sshd;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  login = await lab.server("login", { mfa: { code: CODE } });
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

type Status = {
  runners: { pid: number; live: boolean }[];
  workers: { state: string; lastError: string | null }[];
};

describe("a detached runner and a one-time code", { skip }, () => {
  test("the code is typed once before detaching; a lost connection is needs-login, not a hang", async () => {
    await using p = await testProject(
      dialects()[0]!,
      {},
      {
        workers: {
          hpc: {
            mode: "managed",
            host: "login",
            ssh: { configFile: lab.configFile },
            scheduler: "shell",
            workDir: join(lab.remoteDir(), "runs"),
            heartbeatSeconds: 1,
            statusIntervalSeconds: 0.5,
            cycleSeconds: 0.5,
          },
        },
      },
    );
    p.file("tasks.mjs", TASKS);
    p.file("twice.py", PY_TASKS);
    p.file("flow.yaml", FLOW);
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const checks = login.codeChecks();
    const start = ferryInPty(["runner", "start"], {
      cwd: p.dir,
      prompt: /\[login\] [^\n]*Password: /,
      answer: CODE,
    });
    assert.equal(await start.exited, 0, start.output());
    const pid = Number(/runner started: pid (\d+)/.exec(start.output())?.[1]);
    assert.ok(pid > 0, start.output());
    const status = async () =>
      JSON.parse((await ferry(["runner", "status", "--json"], { cwd: p.dir })).stdout) as Status;
    try {
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === FLOW_JOBS,
        120_000,
      );
      assert.deepEqual((await p.jobs(1)).twice!.outputs, { twice: 2 * TOTAL });
      assert.equal(start.answered(), 1);
      assert.equal(
        login.codeChecks() - checks,
        1,
        "one code for the whole flow: the detached runner reused the login",
      );

      // the login node drops every connection and comes back: a new login needs a new code
      await login.stop();
      await login.start();
      await waitFor(
        "the worker to need a login",
        async () => (await status()).workers[0]?.state === "needs-login",
        60_000,
      );
      const s = await status();
      assert.match(s.workers[0]!.lastError ?? "", /ferry runner start/, "says what to do");
      assert.deepEqual(
        s.runners.map((r) => [r.pid, r.live]),
        [[pid, true]],
        "the runner runs on",
      );
      assert.equal(login.codeChecks() - checks, 1, "no code was guessed or sent");
      const table = await ferry(["runner", "status"], { cwd: p.dir });
      assert.match(table.stdout, /^hpc\s+login\s+needs-login\s/m);
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: p.dir })).code, 0);
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    assert.deepEqual(processesMentioning(join(p.dir, ".ferry")), [], "no ssh process left behind");
  });
});
