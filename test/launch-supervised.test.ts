/**
 * The pull launcher supervising tasks itself (src/launcher/supervise.ts): what a task sees is
 * what run.sh gives it; signals, walltime warnings and a task killed by a signal end the run as
 * run.sh would record them; a launcher killed mid-job hands the rest of the job over to run.sh.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { wrapperAlive } from "../src/engine/lifecycle/owner.ts";
import { TaskSupervisor } from "../src/launcher/supervisor.ts";
import type { Run } from "../src/model/types.ts";
import { LocalTransport } from "../src/transport/local.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const sqlite = dialects()[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/State:\s*Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

describe("tasks supervised by the launcher", () => {
  test("a task sees the same environment and leaves the same files as under run.sh", async () => {
    await using p = await testProject(sqlite, { env: { WORKER_VAR: "it's here" } });
    // what each task sees: FERRY_* and the worker's variable, and whether USR1 is ignored
    const show = `env | grep -E "^(FERRY_|WORKER_VAR|TASK_VAR)" | grep -v -E "^FERRY_(RUN_ID|JOB_ID|FLOW_ID|LAUNCH_DIR|INPUTS|OUTPUTS|ACTION|STOP)=" | sort > seen-$FERRY_TASK; grep ^SigIgn /proc/self/status >> seen-$FERRY_TASK; echo "{\\"t$FERRY_TASK\\": $FERRY_TASK}" > "$FERRY_OUTPUTS"`;
    const flow = (name: string) =>
      `name: ${name}\njobs:\n  - name: env\n    inputs: {n: 3, word: "a b"}\n    tasks:\n      - {sh: '${show}'}\n      - {sh: '${show}', env: {TASK_VAR: "x y"}}\n`;
    await p.add(flow("one"));
    const supervised = await p.launch();
    await p.add(flow("two"));
    const wrapped = await p.launch({ supervise: false });
    assert.equal(supervised.completed, 1);
    assert.equal(wrapped.completed, 1);
    const dirs = (await p.store.findRuns({})).map((r) => r.launchDir!);
    assert.equal(dirs.length, 2);
    // the ignored signals among the standard ones (1–31): glibc's posix_spawn, which the task
    // supervisor uses, leaves glibc's own two signals (32, 33) ignored in the child
    const standard = (text: string) =>
      text.replace(
        /^SigIgn:\t([0-9a-f]+)$/m,
        (_, h: string) => `SigIgn 1-31: ${(BigInt(`0x${h}`) & 0x7fffffffn).toString(16)}`,
      );
    for (const task of [0, 1]) {
      const [a, b] = dirs.map((d) => standard(readFileSync(join(d, `seen-${task}`), "utf8")));
      assert.equal(a, b, `task ${task} sees the same variables`);
      assert.match(a!, /FERRY_IN_n=3/);
      assert.match(a!, /WORKER_VAR=it's here/);
    }
    assert.match(readFileSync(join(dirs[0]!, "seen-1"), "utf8"), /TASK_VAR=x y/);
    for (const dir of dirs) {
      const b = bundlePaths(dir);
      for (const f of [b.started, b.checkpoint, b.result]) assert.ok(existsSync(f), `${f} written`);
      assert.deepEqual(JSON.parse(readFileSync(b.checkpoint, "utf8")).task, 1);
    }
    const jobs = await p.store.findJobs({});
    assert.deepEqual(
      jobs.map((j) => j.outputs),
      [
        { t0: 0, t1: 1 },
        { t0: 0, t1: 1 },
      ],
    );
  });

  for (const spawner of ["supervisor", "shell", false] as const) {
    test(`a task killed by a signal fails its run with 128+signal; the job's other tasks do not run (${spawner === false ? "forked by the launcher" : spawner})`, async () => {
      await using p = await testProject(sqlite);
      const ids = await p.add(
        `name: k\njobs:\n  - name: killed\n    tasks:\n      - {sh: 'kill -KILL $$'}\n      - {sh: 'touch never'}\n  - {name: shell, sh: 'kill -KILL $PPID; sleep 1'}\n`,
      );
      const s = await p.launch({ spawner });
      assert.equal(s.failed, 2);
      const job = await p.job(ids.killed!);
      assert.equal(job.state, "FAILED");
      const run = (await p.store.runsOfJobs([job.id]))[0]!;
      assert.equal(run.exitCode, 137);
      assert.equal(run.error?.task, 0);
      assert.equal(existsSync(join(run.launchDir!, "never")), false);
      // what started the task (supervisor or task shell) killed, with no word to the launcher:
      // the task is found gone, and failed
      const shell = (await p.store.runsOfJobs([ids.shell!]))[0]!;
      assert.equal(shell.state, "FAILED");
      assert.equal(shell.exitCode, 137);
    });
  }

  test("TERM to the task supervisor (a batch system signalling every process): the running task's group stops, the run records TERM, later tasks are not concerned", async () => {
    await using p = await testProject(sqlite);
    const ids = await p.add(
      `name: s\njobs:\n  - {name: slow, sh: 'sleep 60 & echo $! > child; sleep 60'}\n  - {name: after, sh: 'true', parents: [slow], allowFailedParents: true}\n`,
    );
    const launching = p.launch();
    const dir = join(p.dir, "runs", "flow-1", "slow-1");
    await until("the task's child", () => existsSync(join(dir, "child")));
    // the task can write its file before the launcher has written started.json from the
    // supervisor's "started" line
    await until("started.json", () => existsSync(bundlePaths(dir).started));
    const started = JSON.parse(readFileSync(bundlePaths(dir).started, "utf8")) as {
      pid: number;
      supervisor: number;
    };
    assert.ok(started.supervisor > 1, "started.json names the supervisor");
    assert.match(readFileSync(`/proc/${started.supervisor}/cmdline`, "utf8"), /ferry-supervisor:/);
    process.kill(started.supervisor, "SIGTERM");
    const s = await launching;
    const run = (await p.store.runsOfJobs([ids.slow!]))[0]!;
    assert.deepEqual([run.state, run.error?.signal, run.exitCode], ["FAILED", "TERM", 143]);
    await until(
      "the task's background child to be gone",
      () => !alive(Number(readFileSync(join(dir, "child"), "utf8"))),
      5000,
    );
    // the supervisor lives on: the next job runs under it, untouched by the earlier signal
    assert.equal((await p.job(ids.after!)).state, "COMPLETED");
    assert.equal(s.completed, 1);
  });

  test("a run's process counts as alive while the supervisor that started it lives (between a task's end and run.sh taking over), and only for its own launcher", async () => {
    const t = new LocalTransport();
    const owner = `${t.host}:${process.pid}:abc123`;
    const sup = await TaskSupervisor.start(undefined, { leaseOwner: owner, killGraceMs: 1000 });
    assert.ok(sup, "python3 runs the supervisor");
    const dir = tempDir("ferry-sup-");
    const run = { launchDir: dir, host: t.host, leaseOwner: owner } as Run;
    const gone = { pid: 2 ** 22 + 12345, supervisor: sup.pid }; // above pid_max: never a live pid
    assert.equal(await wrapperAlive(t, run, gone), true);
    assert.equal(
      await wrapperAlive(t, { ...run, leaseOwner: `${t.host}:1:ffffff` }, gone),
      false,
      "another launcher's supervisor",
    );
    assert.equal(await wrapperAlive(t, run, { pid: gone.pid }), false);
    sup.close();
    await until("the supervisor to end", () => !alive(sup.pid), 5000);
    assert.equal(await wrapperAlive(t, run, gone), false);
  });

  test("where no python3 runs, tasks start through the task shell instead of the supervisor: the job completes", async () => {
    const dir = tempDir("ferry-nopython-");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync("/bin/sh", join(bin, "sh")); // sh and nothing else on PATH
    writeFileSync(join(dir, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
    writeFileSync(
      join(dir, "f.yaml"),
      `name: n\njobs:\n  - {name: one, sh: 'echo "{\\"pid\\": $$}" > "$FERRY_OUTPUTS"'}\n`,
    );
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const ran = await ferry(["launch", "--json", "--quiet"], {
      cwd: dir,
      env: { PATH: bin, FERRY_SUPERVISOR_PYTHON: join(bin, "python3") }, // not there
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(JSON.parse(ran.stdout).completed, 1);
    const started = JSON.parse(
      readFileSync(bundlePaths(join(dir, "runs", "flow-1", "one-1")).started, "utf8"),
    );
    assert.equal(started.supervisor, undefined, "no supervisor");
  });

  test("tasks start from the launcher's environment, not from that of a python3 shim that runs the supervisor (as pyenv's changes PATH)", async () => {
    const dir = tempDir("ferry-shim-");
    const shim = join(dir, "python3");
    writeFileSync(
      shim,
      '#!/bin/sh\nexport SHIM_WAS_HERE=1 PATH="/shim/bin:$PATH"\nexec /usr/bin/env python3 "$@"\n',
      {
        mode: 0o755,
      },
    );
    writeFileSync(join(dir, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
    writeFileSync(
      join(dir, "f.yaml"),
      `name: s\njobs:\n  - {name: one, sh: 'echo "$PATH:\${SHIM_WAS_HERE-unset}" > seen'}\n`,
    );
    assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
    const ran = await ferry(["launch", "--quiet"], { cwd: dir, env: { FERRY_SUPERVISOR_PYTHON: shim } });
    assert.equal(ran.code, 0, ran.stderr);
    const launch = join(dir, "runs", "flow-1", "one-1");
    assert.ok(
      JSON.parse(readFileSync(bundlePaths(launch).started, "utf8")).supervisor,
      "the shim ran the supervisor",
    );
    assert.equal(readFileSync(join(launch, "seen"), "utf8").trim(), `${process.env.PATH}:unset`);
  });

  test("interrupting: the task's whole process group gets TERM, the run says so, the job goes back to READY", async () => {
    await using p = await testProject(sqlite);
    const ids = await p.add(`name: i\njobs:\n  - {name: slow, sh: 'sleep 60 & echo $! > child; sleep 60'}\n`);
    const abort = new AbortController();
    const launching = p.launch({ abort: abort.signal });
    const dir = () => join(p.dir, "runs", "flow-1", "slow-1");
    await until("the task's child", () => existsSync(join(dir(), "child")));
    const child = Number(readFileSync(join(dir(), "child"), "utf8"));
    abort.abort();
    const s = await launching;
    assert.equal(s.interrupted, 1);
    assert.equal((await p.job(ids.slow!)).state, "READY");
    const run = (await p.store.runsOfJobs([ids.slow!], { includeArchived: true }))[0]!;
    assert.equal(run.state, "INTERRUPTED");
    assert.equal(run.error?.signal, "TERM");
    assert.equal(run.exitCode, 143);
    await until("the background child to be gone", () => !alive(child), 5000);
  });

  for (const spawner of ["supervisor", "shell"] as const)
    test(`a walltime warning reaches running jobs: USR1 to the task's group kills nothing, the run records the warning (${spawner})`, async () => {
      await using p = await testProject(sqlite);
      const go = join(p.dir, "go");
      const ids = await p.add(
        `name: w\njobs:\n  - {name: long, sh: 'while [ ! -e "${go}" ]; do sleep 0.05; done'}\n`,
      );
      const warnings = new EventTarget();
      const abort = new AbortController();
      const launching = p.launch({ warnings, abort: abort.signal, spawner });
      const b = bundlePaths(join(p.dir, "runs", "flow-1", "long-1"));
      try {
        await until("the job to start", () => existsSync(b.started));
        const { pid } = JSON.parse(readFileSync(b.started, "utf8")) as { pid: number };
        // at once: the group exists as soon as started.json names its pid (the task shell's
        // spawner used to name it before setsid had run)
        process.kill(-pid, "SIGUSR1"); // SLURM's --signal reaches every process of the step
        await sleep(200);
        assert.ok(alive(pid), "the task ignores USR1");
        warnings.dispatchEvent(new Event("warning"));
        await until("the warning file", () => existsSync(b.warning));
      } finally {
        abort.abort(); // then the walltime ends (and a failed step above leaves no task behind)
      }
      await launching;
      const run = (await p.store.runsOfJobs([ids.long!], { includeArchived: true }))[0]!;
      assert.equal(run.error?.signal, "TERM");
      assert.equal(JSON.parse(readFileSync(b.result, "utf8")).warning, true);
    });

  for (const spawner of ["supervisor", "shell"] as const)
    test(`a launcher killed during a job's first task: run.sh runs the rest, the next launcher collects the whole job (${spawner})`, async () => {
      const dir = tempDir("ferry-handover-");
      writeFileSync(join(dir, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
      writeFileSync(
        join(dir, "f.yaml"),
        `name: h\njobs:\n  - name: two\n    tasks:\n      - {sh: 'echo 0 >> "${dir}/ran"; while [ ! -e "${dir}/go" ]; do sleep 0.05; done; echo \\"a\\" > "$FERRY_OUTPUTS"'}\n      - {sh: 'echo 1 >> "${dir}/ran"; echo \\"b\\" > "$FERRY_OUTPUTS"'}\n`,
      );
      assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
      const env = spawner === "shell" ? { FERRY_LAUNCH_SPAWNER: "shell" } : {};
      const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir, env });
      const gone = new Promise((r) => launcher.on("exit", r));
      const b = bundlePaths(join(dir, "runs", "flow-1", "two-1"));
      await until("the first task", () => existsSync(join(dir, "ran")) && existsSync(b.started));
      launcher.kill("SIGKILL");
      await gone;
      writeFileSync(join(dir, "go"), "");
      await until("run.sh's result", () => existsSync(b.result));
      const again = await ferry(["launch", "--json", "--quiet"], { cwd: dir });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).recovered, 1);
      const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
        state: string;
        outputs: unknown;
      }[];
      assert.deepEqual(
        jobs.map((j) => [j.state, j.outputs]),
        [["COMPLETED", "b"]],
      );
      assert.deepEqual(
        readFileSync(join(dir, "ran"), "utf8").split("\n").filter(Boolean),
        ["0", "1"],
        "each task once",
      );
    });
});
