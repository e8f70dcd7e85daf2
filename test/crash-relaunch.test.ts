/**
 * `ferry launch` after a launcher died (issue #8, "Crashes that strand work"): a relaunch while
 * the dead launcher's wrappers still run must wait for them and collect them (it used to look
 * once and then wait forever); runs whose wrappers died too are reported and fail the launch
 * with exit 6 (it used to print "launched 0 jobs" and exit 0); runs of a launcher that died on
 * another host block nobody once their lease expired.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { openStore } from "../src/store/open.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function startedPids(dir: string, names: readonly string[]): number[] {
  return names.flatMap((n) => {
    const f = join(dir, "runs", "flow-1", n, "_ferry", "started.json");
    return existsSync(f) ? [(JSON.parse(readFileSync(f, "utf8")) as { pid: number }).pid] : [];
  });
}

/** The task supervisors that started them (started.json's `supervisor`), each once. */
function supervisorPids(dir: string, names: readonly string[]): number[] {
  const pids = names.flatMap((n) => {
    const f = join(dir, "runs", "flow-1", n, "_ferry", "started.json");
    const s = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as { supervisor?: number }) : {};
    return s.supervisor ? [s.supervisor] : [];
  });
  return [...new Set(pids)];
}

/** A project whose jobs append their name to `ran` (to count executions), then wait for `go`. */
function project(): string {
  const dir = tempDir("ferry-relaunch-");
  writeFileSync(
    join(dir, "ferry.yaml"),
    "workers:\n  local: {mode: pull, workDir: runs, concurrency: 2, leaseSeconds: 30}\n",
  );
  const job = (n: string) =>
    `  - {name: ${n}, sh: 'echo ${n} >> "${dir}/ran"; while [ ! -e "${dir}/go" ]; do sleep 0.1; done; echo \\"${n}\\" > "$FERRY_OUTPUTS"'}`;
  writeFileSync(
    join(dir, "f.yaml"),
    `name: relaunch\njobs:\n${job("j1")}\n${job("j2")}\n  - {name: after, parents: [j1, j2], sh: 'echo after >> "${dir}/ran"'}\n`,
  );
  return dir;
}

async function killedLauncher(dir: string): Promise<void> {
  assert.equal((await ferry(["add", "f.yaml"], { cwd: dir })).code, 0);
  const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir });
  const gone = new Promise((r) => launcher.on("exit", r));
  // started.json comes before the task's first line: wait for both tasks to have run it, or a
  // wrapper killed in between leaves "ran" without its name and "nothing ran again" miscounts
  await until(
    "both jobs to start",
    () =>
      startedPids(dir, ["j1-1", "j2-2"]).length === 2 &&
      existsSync(join(dir, "ran")) &&
      readFileSync(join(dir, "ran"), "utf8").trim().split("\n").length === 2,
  );
  launcher.kill("SIGKILL"); // no chance to clean up: leases stay, the wrappers keep running
  await gone;
}

describe("relaunching after a crash", () => {
  test("a relaunch while the dead launcher's wrappers still run waits for them, collects them, and runs the child once", async () => {
    const dir = project();
    await killedLauncher(dir);
    const again = spawnFerry(["launch", "--json", "--quiet"], { cwd: dir });
    let stdout = "";
    let stderr = "";
    again.stdout.on("data", (d) => (stdout += d));
    again.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => again.on("exit", (c) => r(c)));
    await sleep(1500); // the relaunch has looked at the abandoned runs: they are alive
    writeFileSync(join(dir, "go"), ""); // the surviving wrappers finish now
    const code = await Promise.race([exited, sleep(60_000).then(() => "still waiting" as const)]);
    if (code === "still waiting") again.kill("SIGKILL");
    assert.equal(code, 0, `the relaunch finished (${stderr})`);
    const summary = JSON.parse(stdout);
    assert.equal(summary.recovered, 2, "both abandoned runs collected");
    assert.deepEqual(
      summary.abandoned.map((a: { name: string; found: string }) => [a.name, a.found]).sort(),
      [
        ["j1", "completed"],
        ["j2", "completed"],
      ],
    );
    assert.equal(summary.completed, 1, "the child, claimed once its parents were collected");
    const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
      name: string;
      state: string;
      outputs: unknown;
    }[];
    assert.deepEqual(
      jobs.map((j) => [j.name, j.state, j.outputs]),
      [
        ["j1", "COMPLETED", "j1"],
        ["j2", "COMPLETED", "j2"],
        ["after", "COMPLETED", null],
      ],
    );
    assert.deepEqual(readFileSync(join(dir, "ran"), "utf8").trim().split("\n").sort(), ["after", "j1", "j2"]);
  });

  test("when the wrappers died with their launcher, the relaunch says what it found and exits 6", async () => {
    const dir = project();
    await killedLauncher(dir);
    // everything of the run's: the task supervisor (which would hand a task's end over to
    // run.sh) first, then each task's process group
    for (const pid of supervisorPids(dir, ["j1-1", "j2-2"])) process.kill(pid, "SIGKILL");
    for (const pid of startedPids(dir, ["j1-1", "j2-2"])) process.kill(-pid, "SIGKILL");
    await until("the wrappers to be gone", () =>
      startedPids(dir, ["j1-1", "j2-2"]).every((pid) => {
        try {
          process.kill(pid, 0);
          return /State:\s*Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
        } catch {
          return true;
        }
      }),
    );
    const again = await ferry(["launch"], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(again.code, 6, again.stdout + again.stderr);
    for (const name of ["j1", "j2"])
      assert.match(
        again.stdout,
        new RegExp(
          `found job \\d+ ${name} \\(run \\d+\\) abandoned: its launcher .* is gone — no result: FAILED as lost`,
        ),
      );
    assert.match(again.stdout, /2 lost/);
    const json = await ferry(["jobs", "show", "1", "--json"], { cwd: dir });
    const shown = JSON.parse(json.stdout) as {
      job: { state: string };
      runs: { state: string; error: { reason: string } }[];
    };
    assert.equal(shown.job.state, "FAILED");
    assert.deepEqual([shown.runs[0]!.state, shown.runs[0]!.error.reason], ["LOST", "lost"]);
    assert.deepEqual(
      readFileSync(join(dir, "ran"), "utf8").trim().split("\n").sort(),
      ["j1", "j2"],
      "nothing ran again",
    );
  });

  for (const d of dialects()) {
    test(`runs of a launcher that died on another host block no launcher once their lease expired (${d.name})`, {
      skip: d.skip,
    }, async () => {
      await using p = await testProject(d, { leaseSeconds: 1 });
      const ids = await p.add(
        "name: elsewhere\njobs:\n  - {name: done, sh: 'true'}\n  - {name: gone, sh: 'true'}\n  - {name: child, parents: [done], sh: 'true'}\n",
      );
      // another host's launcher claimed both and died; the shared filesystem shows one result
      const { claimed } = await claimRuns(p.store, {
        worker: { name: "local", workDir: join(p.dir, "runs"), categories: [] },
        limit: 2,
        to: "RUNNING",
        mode: "pull",
        leaseOwner: "node17:4242:beef01",
        leaseMs: 300,
        host: "node17",
      });
      const done = claimed.find((c) => c.job.name === "done")!;
      const paths = bundlePaths(done.launchDir);
      mkdirSync(paths.dir, { recursive: true });
      writeFileSync(
        paths.result,
        JSON.stringify({
          runId: done.runId,
          state: "COMPLETED",
          exitCode: 0,
          signal: null,
          task: null,
          nextTask: 1,
          stopped: false,
          warning: false,
          startedAt: 1,
          finishedAt: 2,
        }),
      );
      await sleep(400);
      const summary = await Promise.race([p.launch(), sleep(30_000).then(() => "still waiting" as const)]);
      assert.notEqual(summary, "still waiting", "the launcher did not wait for the other host's runs");
      if (summary === "still waiting") return;
      assert.deepEqual(summary.abandoned.map((a) => [a.name, a.found]).sort(), [
        ["done", "completed"],
        ["gone", "lost"],
      ]);
      assert.deepEqual([summary.recovered, summary.lost, summary.completed], [1, 1, 1]);
      const jobs = await p.jobs();
      assert.deepEqual(
        [jobs.done!.state, jobs.gone!.state, jobs.child!.state],
        ["COMPLETED", "FAILED", "COMPLETED"],
      );
      assert.equal((await p.store.currentRuns([ids.gone!])).get(ids.gone!)!.state, "LOST");
      const store = await openStore(p.project.database);
      assert.equal((await store.findRuns({ states: ["RUNNING"] })).length, 0);
      await store.close();
    });
  }
});
