/**
 * A CLI that tells its user the truth (issue #12): user mistakes get their exit code and a
 * message, never "internal error"; FireWorks' words get ferry's; dry runs say everything; output
 * fits a terminal; nothing a job or a flow holds can drive the terminal (issue #8). Each test is
 * what a user sees, through the real `ferry` process.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { tempDir } from "./helpers/stores.ts";

async function project(workers = "  local: {mode: pull, workDir: runs, concurrency: 2}\n"): Promise<{
  dir: string;
  run: (...args: string[]) => ReturnType<typeof ferry>;
}> {
  const dir = tempDir("ferry-truth-");
  writeFileSync(join(dir, "ferry.yaml"), `workers:\n${workers}`);
  return { dir, run: (...args: string[]) => ferry(args, { cwd: dir }) };
}

async function added(p: { dir: string; run: (...a: string[]) => ReturnType<typeof ferry> }, yaml: string) {
  writeFileSync(join(p.dir, "flow.yaml"), yaml);
  const r = await p.run("add", "flow.yaml", "--json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout)[0] as { flowId: number; jobIds: Record<string, number> };
}

describe("user mistakes are never internal errors", () => {
  test("a worker of the wrong mode, a mode nothing runs, and names that are not workers", async () => {
    const p = await project(
      "  local: {mode: pull, workDir: runs}\n  hpc: {mode: offline, scheduler: shell, workDir: out}\n",
    );
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    const offline = await p.run("launch", "--worker", "hpc");
    assert.equal(offline.code, 2, offline.stderr);
    assert.match(
      offline.stderr,
      /worker "hpc" is an offline worker \(ferry offline submit \/ recover drive it\); ferry launch needs a pull worker/,
    );
    for (const bad of ["__proto__", "constructor", "toString"]) {
      const r = await p.run("launch", "--worker", bad);
      assert.equal(r.code, 4, `--worker ${bad}: ${r.stderr}`);
      assert.match(r.stderr, /unknown worker/);
      assert.equal((await p.run("offline", "submit", "--worker", bad)).code, 4);
    }
    const empty = await p.run("offline", "recover", "--worker", "");
    assert.equal(empty.code, 2, "an empty name would mean every worker");
    assert.doesNotMatch(`${offline.stderr}${empty.stderr}`, /internal error/);

    const managed = await project(
      "  hpc: {mode: managed, scheduler: slurm, host: cluster, workDir: scratch}\n",
    );
    const r = await managed.run("jobs", "list");
    assert.equal(r.code, 3);
    assert.match(r.stderr, /field "workers\.hpc\.workDir": "scratch" is relative: with host set/);
  });

  test("numbers and ids are checked where they are typed: exit 2, and nothing runs", async () => {
    const p = await project();
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    for (const args of [
      ["jobs", "list", "--limit", "abc"],
      ["jobs", "list", "--limit", "-1"],
      ["launch", "--run", "abc"],
      ["launch", "--max-jobs", "0"],
      ["launch", "--concurrency", "1.5"],
      ["jobs", "show", "abc"],
      ["jobs", "list", "--id", "1x"],
      ["jobs", "list", "--id", "1,,2"],
      ["report", "--count", "zero"],
      ["report", "--interval", "constructor"],
      ["set-priority", "high", "--all"],
      ["offline", "submit", "--max-jobs", "many"],
    ]) {
      const r = await p.run(...args);
      assert.equal(r.code, 2, `ferry ${args.join(" ")}: ${r.code} ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|datatype mismatch/);
    }
    assert.equal(JSON.parse((await p.run("jobs", "list", "--json")).stdout)[0].state, "READY", "nothing ran");
  });

  test("an id or a flow that does not exist is not found (4), for every command", async () => {
    const p = await project();
    const f = await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    for (const args of [
      ["rerun", "--id", "999"],
      ["pause", "--flow", "99"],
      ["cancel", "--id", `${f.jobIds.a},999`],
      ["jobs", "list", "--id", "999"],
      ["jobs", "show", "999"],
      ["flows", "show", "99"],
      ["flows", "cancel", "99"],
      ["jobs", "logs", "999"],
      ["launch", "--run", "999"],
    ]) {
      const r = await p.run(...args);
      assert.equal(r.code, 4, `ferry ${args.join(" ")}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, /no (job|flow|run) with id 99/);
    }
    assert.equal(
      JSON.parse((await p.run("jobs", "list", "--json")).stdout)[0].state,
      "READY",
      "nothing changed",
    );
  });

  test("an unparsable --query is invalid input (3), as the README says", async () => {
    const p = await project();
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    const r = await p.run("jobs", "list", "--query", "{state: FAILED}");
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /--query is not valid JSON/);
  });

  test("SIGTERM stops launch with exit 130; the job it interrupted is READY again", async () => {
    const p = await project();
    const f = await added(p, "name: f\njobs:\n  - {name: slow, sh: 'sleep 30'}\n");
    const child = spawnFerry(["launch", "--json"], { cwd: p.dir });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    for (let i = 0; i < 400; i++) {
      const jobs = JSON.parse((await p.run("jobs", "list", "--json")).stdout) as { state: string }[];
      if (jobs[0]?.state === "RUNNING") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM");
    assert.equal(await exited, 130);
    assert.equal(JSON.parse(stdout).interrupted, 1);
    const show = JSON.parse((await p.run("jobs", "show", String(f.jobIds.slow), "--json")).stdout);
    assert.equal(show.job.state, "READY");
  });
});

describe("FireWorks users' words", () => {
  test("FIZZLED, -lm, FireWorks' stack-trace field and `defuse` each name ferry's word", async () => {
    const p = await project();
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    const fizzled = await p.run("rerun", "--state", "FIZZLED");
    assert.equal(fizzled.code, 2);
    assert.match(fizzled.stderr, /unknown state "FIZZLED" \(FireWorks' FIZZLED is ferry's FAILED\)/);
    const flows = await p.run("flows", "list", "--state", "FIZZLED"); // lpad get_wflows -s FIZZLED
    assert.equal(flows.code, 2);
    assert.match(flows.stderr, /unknown flow state "FIZZLED" \(FireWorks' FIZZLED is ferry's FAILED\)/);
    const defused = await p.run("jobs", "list", "--query", '{"state": "DEFUSED"}');
    assert.equal(defused.code, 3);
    assert.match(defused.stderr, /FireWorks' DEFUSED is ferry's CANCELLED/);
    const lm = await p.run("rerun", "-lm", "-q", '{"state": "FAILED"}');
    assert.equal(lm.code, 2);
    assert.match(lm.stderr, /ferry has no -lm option; use --runs/);
    const pasted = await p.run(
      "rerun",
      "--runs",
      "--query",
      '{"action.stored_data._exception._stacktrace": {"$regex": "Segmentation fault"}}',
    );
    assert.equal(pasted.code, 3, "never a silent 'no jobs match'");
    assert.match(pasted.stderr, /use "error\.stack"/);
    const defuse = await p.run("defuse", "--id", "1");
    assert.equal(defuse.code, 2);
    assert.match(defuse.stderr, /ferry has no "defuse" command; use ferry cancel/);
    assert.doesNotMatch(defuse.stderr, /delete/);
    // after a global option's value, and after a group, commander suggested `delete` for defuse
    for (const [args, ours] of [
      [["--project", p.dir, "defuse", "--id", "1"], /use ferry cancel/],
      [["flows", "defuse", "1"], /ferry has no "flows defuse" command; use ferry flows cancel/],
      [["jobs", "rerun", "--id", "1"], /ferry has no "jobs rerun" command; use ferry rerun\n/],
    ] as const) {
      const r = await p.run(...args);
      assert.equal(r.code, 2, `ferry ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, ours);
      assert.doesNotMatch(r.stderr, /delete/);
    }
    assert.equal(JSON.parse((await p.run("jobs", "list", "--json")).stdout)[0].state, "READY");
  });

  test("every example in docs/queries.md is a command ferry runs", async () => {
    const p = await project();
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true', inputs: {temperature: 300}}\n");
    const doc = readFileSync(fileURLToPath(new URL("../docs/queries.md", import.meta.url)), "utf8");
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const examples = blocks.flatMap((b) => b.split("\n")).filter((l) => l.startsWith("ferry "));
    assert.ok(examples.length >= 10);
    for (const line of examples) {
      // single-quoted words, as the examples write them
      const words = [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
      const r = await p.run(...words);
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
    }
  });

  test("flows reignite brings a cancelled flow back", async () => {
    const p = await project();
    const f = await added(
      p,
      "name: f\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, parents: [a], sh: 'true'}\n",
    );
    assert.equal((await p.run("flows", "cancel", String(f.flowId))).code, 0);
    const r = await p.run("flows", "reignite", String(f.flowId), "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).changed.map((j: { name: string }) => j.name),
      ["a", "b"],
    );
    assert.equal((await p.run("launch", "--quiet")).code, 0);
    assert.equal(JSON.parse((await p.run("flows", "list", "--json")).stdout)[0].state, "COMPLETED");
  });

  test("a sub-second run shows its duration, and flows list when a flow last changed", async () => {
    const p = await project();
    const f = await added(p, "name: f\njobs:\n  - {name: a, sh: 'sleep 0.3'}\n");
    const before = JSON.parse((await p.run("flows", "list", "--json")).stdout)[0];
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await p.run("launch", "--quiet")).code, 0);
    const show = await p.run("jobs", "show", String(f.jobIds.a));
    const took = /COMPLETED in (\d+\.\d+)s/.exec(show.stdout);
    assert.ok(took, show.stdout);
    assert.ok(Number(took[1]) >= 0.3 && Number(took[1]) < 5, `took ${took[1]} s`);
    // measured to the millisecond, and shown as measured: a run timed in whole seconds showed
    // "0ms", or "1.0s" when it happened to straddle a second
    const run = JSON.parse((await p.run("jobs", "show", String(f.jobIds.a), "--json")).stdout).runs[0];
    const ms = run.finishedAt - run.startedAt;
    assert.ok(run.startedAt % 1000 !== 0 || run.finishedAt % 1000 !== 0, `times ${JSON.stringify(run)}`);
    assert.ok(Math.abs(Number(took[1]) - ms / 1000) < 0.06, `shown ${took[1]} s, measured ${ms} ms`);
    const after = JSON.parse((await p.run("flows", "list", "--json")).stdout)[0];
    assert.ok(after.updatedAt > before.updatedAt, "the flow's last change moved when its job completed");
    assert.match((await p.run("flows", "list")).stdout, /LAST CHANGE\n.*COMPLETED.*\d+s ago/);
  });
});

describe("output that fits a terminal", () => {
  test("a rerun of a 10,000-job flow summarises the reset jobs; --json lists them all", async () => {
    const p = await project();
    const children = Array.from(
      { length: 10_000 },
      (_, i) => `  - {name: c${i}, parents: [root], sh: 'true'}`,
    );
    const f = await added(p, `name: big\njobs:\n  - {name: root, sh: 'true'}\n${children.join("\n")}\n`);
    const r = await p.run("rerun", "--id", String(f.jobIds.root), "--yes");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length < 4000, `${r.stdout.length} characters`);
    assert.match(
      r.stdout,
      /and reset 10000 descendants to WAITING .*c19#\d+, … and 9,980 more \(--json lists them all\)/,
    );
    const dry = await p.run("rerun", "--id", String(f.jobIds.root), "--dry-run", "--json");
    assert.equal(JSON.parse(dry.stdout).descendants.length, 10_000);
  });
});

describe("dry runs say everything", () => {
  test("--set edits, saved recovery and --clear-recovery, and only the jobs that change", async () => {
    const p = await project();
    const f = await added(
      p,
      `name: f\njobs:\n  - name: t\n    resources: {walltime: "1:00:00"}\n    tasks:\n      - sh: 'true'\n      - sh: '[ -e ok ] || exit 3'\n  - {name: done, sh: 'true'}\n  - {name: later, parents: [t], sh: 'true'}\n`,
    );
    const t = String(f.jobIds.t);
    assert.equal((await p.run("launch", "--quiet")).code, 6);
    const dry = await p.run(
      "rerun",
      "--id",
      t,
      "--task-level",
      "--set",
      "resources.walltime=4:00:00",
      "--dry-run",
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would rerun 1 job: t#\d+ \(FAILED\)/);
    assert.match(
      dry.stdout,
      /t#\d+ resumes at task 1 in a new directory \(--task-level: the outputs of tasks 0–0 are kept\)/,
    );
    assert.match(dry.stdout, /would set t#\d+ resources\.walltime: "1:00:00" → "4:00:00"/);
    assert.match(dry.stdout, /\(dry run: nothing changed\)/);
    assert.equal((await p.run("rerun", "--id", t, "--task-level")).code, 0);
    assert.equal((await p.run("launch", "--quiet")).code, 6, "fails again in task 1");
    const plain = await p.run("rerun", "--id", t, "--dry-run");
    assert.match(
      plain.stdout,
      /t#\d+ resumes at task 1 .*saved recovery of run \d+ .*--clear-recovery starts it at task 0/,
    );
    const cleared = await p.run("rerun", "--id", t, "--clear-recovery", "--dry-run");
    assert.match(
      cleared.stdout,
      /t#\d+ starts again at task 0 \(--clear-recovery forgets its saved resume at task 1\)/,
    );
    const pause = await p.run("pause", "--all", "--dry-run");
    assert.match(pause.stdout, /pause --dry-run: would change 1 job of the 3 selected jobs/);
    assert.match(pause.stdout, /later#\d+ \(WAITING\)/);
    assert.match(pause.stdout, /2 left alone|1 left alone/);
    // not only the dry run: the rerun itself says that it resumes, and how not to
    const real = await p.run("rerun", "--id", t);
    assert.equal(real.code, 0, real.stderr);
    assert.match(
      real.stdout,
      /t#\d+ resumes at task 1 .*saved recovery of run \d+ .*--clear-recovery starts it at task 0/,
    );
    assert.doesNotMatch(real.stdout, /dry run/);
  });

  test("offline submit reports the jobs it submitted, not its attempts", async () => {
    const p = await project(
      '  hpc: {mode: offline, scheduler: shell, workDir: out, maxQueued: 1, commandPrefix: ["false"]}\n',
    );
    await added(p, "name: f\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, sh: 'true'}\n");
    const r = await p.run("offline", "submit");
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stdout, /^submitted 0 jobs to worker hpc; 1 held \(the scheduler refused them\)\n/m);
    assert.doesNotMatch(r.stdout, /maxQueued/);
  });
});

describe("nothing a job or a flow holds can drive the terminal", () => {
  test("control characters in names, metadata and errors are shown escaped by every printer", async () => {
    const p = await project();
    const esc = "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\r";
    writeFileSync(
      join(p.dir, "flow.json"),
      `{"name": "evil${esc}", "metadata": {"note": "x${esc}"}, "jobs": [{"name": "a", "sh": "printf 'bad\\\\033[2Jtext\\\\n' >&2; exit 1", "inputs": {"v": "${esc}"}}]}`,
    );
    const add = await p.run("add", "flow.json");
    assert.equal(add.code, 0, add.stderr);
    await p.run("launch", "--quiet");
    for (const args of [
      ["flows", "list"],
      ["flows", "show", "1"],
      ["jobs", "list"],
      ["jobs", "show", "1"],
      ["jobs", "logs", "1"],
      ["pause", "--all", "--dry-run"],
    ]) {
      const r = await p.run(...args);
      const text = `${r.stdout}${r.stderr}`;
      assert.doesNotMatch(
        text,
        /[\x00-\x08\x0b-\x1f\x7f-\x9f]/,
        `ferry ${args.join(" ")} printed a raw control character`,
      );
    }
    assert.match((await p.run("flows", "list")).stdout, /evil\\e\]0;pwned\\a\\e\[2J\\x9b31m\\r/);
    assert.match((await p.run("jobs", "logs", "1")).stdout, /bad\\e\[2Jtext/);
  });
});
