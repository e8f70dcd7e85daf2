/**
 * The login node goes down while its jobs run (sshd stopped, every connection cut): the runner
 * backs off, and after maxFailures failed cycles the worker is unreachable and its jobs are
 * HELD with the reason — not failed; the batch jobs run on. When sshd is back, `ferry retry`
 * resumes them with the same runs: every result is collected, the children run, nothing twice.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { testProject } from "./helpers/project.ts";
import { waitFor } from "./helpers/runner.ts";
import { processesMentioning, type Sshd, SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";

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

describe("the login node goes down while jobs run", { skip }, () => {
  test("backoff, jobs HELD with the reason; sshd back + ferry retry → every job COMPLETED once", async () => {
    const remote = lab.remoteDir();
    const marks = join(remote, "marks");
    const gate = join(remote, "gate");
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
            workDir: join(remote, "runs"),
            heartbeatSeconds: 1,
            statusIntervalSeconds: 0.5,
            cycleSeconds: 0.5,
          },
        },
      },
    );
    const file = join(p.dir, "ferry.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        ...JSON.parse(readFileSync(file, "utf8")),
        runner: { maxFailures: 3, backoffSeconds: 0.2, backoffMaxSeconds: 1 },
      }),
    );
    // four jobs that wait for the gate file (opened once the outage is over), then a child of all
    const four = [0, 1, 2, 3].map(
      (i) =>
        `  - name: w${i}\n    sh: |\n      echo "$FERRY_JOB_ID" >> '${marks}'\n      while [ ! -e '${gate}' ]; do sleep 0.2; done\n      echo '{"v": ${i}}' > "$FERRY_OUTPUTS"`,
    );
    p.file(
      "flow.yaml",
      `name: down\njobs:\n${four.join("\n")}\n  - name: after\n    parents: [w0, w1, w2, w3]\n    sh: |\n      echo "$FERRY_JOB_ID" >> '${marks}'\n`,
    );
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let out = "";
    runner.stdout.on("data", (c) => (out += c));
    runner.stderr.on("data", (c) => (out += c));
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      await waitFor(
        "the four jobs to run",
        async () => (await p.store.countJobs({ states: ["RUNNING"] })) === 4,
      );
      await login.stop();
      await waitFor(
        "the four jobs HELD",
        async () => (await p.store.countJobs({ states: ["HELD"] })) === 4,
        60_000,
      );
      assert.match(
        out,
        // the first failure is ssh's own: a refused connection, or the connection dropped mid-command
        /WARN hpc backoff: (probe|collect|submit) failed \(1 in a row\): ssh: (cannot reach login|the connection to login was lost)/,
      );
      assert.match(out, /ERROR hpc hold: worker is unreachable; 4 of its job\(s\) HELD/);
      const status = JSON.parse((await ferry(["runner", "status", "--json"], { cwd: p.dir })).stdout) as {
        workers: { state: string; lastError: string }[];
      };
      assert.equal(status.workers[0]!.state, "unreachable");
      assert.match(status.workers[0]!.lastError, /cannot reach login/);
      const shown = await ferry(["jobs", "show", "1", "--json"], { cwd: p.dir });
      assert.match(
        shown.stdout,
        /worker hpc is unreachable: ssh: cannot reach login/,
        "the reason is on the job",
      );
      assert.equal(await p.store.countJobs({ states: ["FAILED"] }), 0, "nothing failed");

      // the batch jobs ran on meanwhile; the login node comes back, the jobs finish
      await login.start();
      writeFileSync(gate, "");
      await waitFor("the worker to be reachable again", async () =>
        /hpc backoff: worker is reachable again/.test(out),
      );
      assert.equal(await p.store.countJobs({ states: ["HELD"] }), 4, "held jobs wait for ferry retry");
      const retry = await ferry(["retry", "--all", "--yes"], { cwd: p.dir });
      assert.equal(retry.code, 0, retry.stderr);
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === 5,
      );
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: p.dir })).code, 0);
      assert.equal(await exited, 0, out);
    } finally {
      runner.kill("SIGKILL");
      if (!existsSync(gate)) writeFileSync(gate, "");
    }
    const ran = readFileSync(marks, "utf8").trim().split("\n").map(Number).sort();
    assert.deepEqual(ran, [1, 2, 3, 4, 5], "each job ran once");
    const runs = await p.store.findRuns({ modes: ["managed"] });
    assert.equal(runs.length, 5, "retry resumed the same runs");
    assert.deepEqual(processesMentioning(join(p.dir, ".ferry")), []);
  });
});
