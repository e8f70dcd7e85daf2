/** The CLI as a user drives it: real processes, a real project folder, real SQLite. */
import assert from "node:assert/strict";
import { cpSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { tempDir } from "./helpers/stores.ts";

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));

/** Wait until `n` runs of the project have started (their wrapper wrote started.json). */
async function startedRuns(dir: string, n: number): Promise<void> {
  const { existsSync: exists, readdirSync } = await import("node:fs");
  for (let i = 0; i < 600; i++) {
    const root = join(dir, "runs", "flow-1");
    const started = exists(root)
      ? readdirSync(root).filter((r) => exists(join(root, r, "_ferry", "started.json"))).length
      : 0;
    if (started >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${n} runs started`);
}

async function project(): Promise<string> {
  const dir = tempDir("ferry-cli-");
  const r = await ferry(["init"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

describe("ferry init, add, launch, jobs list", () => {
  test("the diamond example completes and the child gets its parents' outputs through references", async () => {
    const dir = await project();
    assert.ok(existsSync(join(dir, "ferry.yaml")));
    cpSync(join(EXAMPLES, "diamond"), join(dir, "diamond"), { recursive: true });
    const added = await ferry(["add", "diamond/flow.yaml", "--json"], { cwd: dir });
    assert.equal(added.code, 0, added.stderr);
    const [flowAdded] = JSON.parse(added.stdout);
    assert.deepEqual(Object.keys(flowAdded.jobIds), ["a", "b", "c", "d"]);
    const launched = await ferry(["launch", "--json"], { cwd: dir });
    assert.equal(launched.code, 0, launched.stderr);
    assert.deepEqual(JSON.parse(launched.stdout), {
      claimed: 4,
      completed: 4,
      failed: 0,
      interrupted: 0,
      stopped: 0,
      recovered: 0,
      lost: 0,
      abandoned: [],
    });
    const list = await ferry(["jobs", "list", "--json"], { cwd: dir });
    const jobs = JSON.parse(list.stdout) as {
      name: string;
      state: string;
      outputs: { value: number };
      inputs: unknown;
    }[];
    assert.deepEqual(
      jobs.map((j) => j.state),
      ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"],
    );
    const out = Object.fromEntries(jobs.map((j) => [j.name, j.outputs.value]));
    // a: 3*2 = 6; b (js): 6² = 36; c (sh): 6+1 = 7; d (js): 36 + 7
    assert.deepEqual(out, { a: 6, b: 36, c: 7, d: 43 });
    const flows = await ferry(["flows", "list", "--json"], { cwd: dir });
    assert.equal(JSON.parse(flows.stdout)[0].state, "COMPLETED");
    const table = await ferry(["jobs", "list", "--state", "completed", "--name", "[bd]"], { cwd: dir });
    assert.match(table.stdout, /^ID\s+FLOW\s+NAME\s+STATE/m);
    assert.equal(table.stdout.trim().split("\n").length, 3);
    const show = await ferry(["jobs", "show", String(flowAdded.jobIds.d)], { cwd: dir });
    assert.match(show.stdout, /parents: b#\d+ COMPLETED, c#\d+ COMPLETED/);
    assert.match(show.stdout, /outputs: \{"value":43\}/);
  });

  const INVALID: Record<string, [string, RegExp]> = {
    cycle: [
      "jobs:\n  - {name: a, parents: [b], sh: x}\n  - {name: b, parents: [a], sh: x}\n",
      /job "[ab]", field "parents": cycle: ([ab]) → [ab] → \1/,
    ],
    "unknown parent": [
      "jobs:\n  - {name: a, sh: x}\n  - {name: b, parents: [c], sh: x}\n",
      /job "b", field "parents\[0\]": unknown parent "c"/,
    ],
    "bad reference": [
      'jobs:\n  - {name: a, sh: x}\n  - {name: b, sh: x, inputs: {v: "${{ a.out }}"}}\n',
      /job "b", field "inputs\.v": reference \$\{\{ a\.out \}\} points to "a", which is not an ancestor of "b"/,
    ],
    "unknown key": [
      "jobs:\n  - {name: a, sh: x, priorty: 3}\n",
      /job "a", field "priorty": unknown key "priorty" \(did you mean "priority"\?\)/,
    ],
  };
  for (const [kind, [body, message]] of Object.entries(INVALID)) {
    test(`an invalid flow file (${kind}) exits 3, names file, job and field, and writes nothing`, async () => {
      const dir = await project();
      writeFileSync(join(dir, "bad.yaml"), `name: bad\n${body}`);
      writeFileSync(join(dir, "good.yaml"), "name: good\njobs:\n  - {name: a, sh: x}\n");
      writeFileSync(join(dir, "seed.yaml"), "name: seed\njobs:\n  - {name: s, sh: x}\n");
      assert.equal((await ferry(["add", "seed.yaml"], { cwd: dir })).code, 0);
      const before = (await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout;
      const r = await ferry(["add", "good.yaml", "bad.yaml"], { cwd: dir });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`- bad\\.yaml, ${message.source}`));
      assert.equal(
        (await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout,
        before,
        "the good file was not added either",
      );
      assert.equal(JSON.parse((await ferry(["flows", "list", "--json"], { cwd: dir })).stdout).length, 1);
    });
  }

  test("add names each job's id for a small flow, and the id range for a large one", async () => {
    const dir = await project();
    writeFileSync(
      join(dir, "small.yaml"),
      "name: small\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, sh: 'true'}\n",
    );
    const many = Array.from({ length: 500 }, (_, i) => `  - {name: j${i}, sh: 'true'}`).join("\n");
    writeFileSync(join(dir, "large.yaml"), `name: large\njobs:\n${many}\n`);
    const small = await ferry(["add", "small.yaml"], { cwd: dir });
    assert.equal(small.stdout, 'added flow 1 "small" with 2 jobs: a=1 b=2\n');
    const large = await ferry(["add", "large.yaml"], { cwd: dir });
    assert.equal(
      large.stdout,
      'added flow 2 "large" with 500 jobs, ids 3–502 (ferry jobs list --flow 2; --json lists every id)\n',
    );
    const asJson = JSON.parse((await ferry(["add", "large.yaml", "--json"], { cwd: dir })).stdout);
    assert.equal(Object.keys(asJson[0].jobIds).length, 500);
  });

  test("a replaced job shows where its output comes from, and the value its children read", async () => {
    const dir = await project();
    writeFileSync(
      join(dir, "flow.yaml"),
      `name: swap
jobs:
  - name: relax
    sh: |
      cat > "$FERRY_ACTION" <<'EOF'
      {"replace": {"jobs": [{"name": "relax-again", "sh": "echo '{\\"energy\\": -7.5}' > \\"$FERRY_OUTPUTS\\""}]}}
      EOF
  - name: report
    parents: [relax]
    inputs: {e: "\${{ relax.energy }}"}
    sh: |
      echo "{\\"e\\": $FERRY_IN_e}" > "$FERRY_OUTPUTS"
`,
    );
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: dir })).code, 0);
    const launched = await ferry(["launch", "--quiet"], { cwd: dir });
    assert.equal(launched.code, 0, launched.stderr);
    const list = await ferry(["jobs", "list"], { cwd: dir, env: { NO_COLOR: "1" } });
    assert.match(list.stdout, /relax\s+COMPLETED.*→ relax-again/);
    assert.doesNotMatch(list.stdout, /\$replacedBy/);
    const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
      id: number;
      name: string;
      inputs: unknown;
    }[];
    const relax = jobs.find((j) => j.name === "relax")!;
    const show = await ferry(["jobs", "show", String(relax.id)], { cwd: dir, env: { NO_COLOR: "1" } });
    assert.match(show.stdout, /outputs \(replaced by job "relax-again"\): \{"energy":-7\.5\}/);
    const report = (await ferry(
      ["jobs", "show", String(jobs.find((j) => j.name === "report")!.id), "--json"],
      {
        cwd: dir,
      },
    )) as { stdout: string };
    assert.deepEqual(
      JSON.parse(report.stdout).job.outputs,
      { e: -7.5 },
      "the child read the replacement's output",
    );
  });

  test("exit codes: usage, not found, unknown worker, no project, no database", async () => {
    const dir = await project();
    const fresh = await ferry(["jobs", "list"], { cwd: dir });
    assert.equal(fresh.code, 5);
    assert.match(fresh.stderr, /no database at .*created by the first `ferry add`/);
    writeFileSync(join(dir, "one.yaml"), "name: one\njobs:\n  - {name: a, sh: x}\n");
    assert.equal((await ferry(["add", "one.yaml"], { cwd: dir })).code, 0);
    assert.equal((await ferry(["frobnicate"], { cwd: dir })).code, 2);
    assert.equal((await ferry(["jobs", "list", "--colour"], { cwd: dir })).code, 2);
    assert.equal((await ferry(["jobs", "list", "--state", "DONE"], { cwd: dir })).code, 2);
    const missing = await ferry(["jobs", "show", "99"], { cwd: dir });
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /no job with id 99/);
    const worker = await ferry(["launch", "--worker", "locl"], { cwd: dir });
    assert.equal(worker.code, 4);
    assert.match(worker.stderr, /unknown worker "locl" \(did you mean "local"\?\)/);
    const none = await ferry(["jobs", "list"], { cwd: tempDir() });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /no ferry\.yaml .* run `ferry init`/);
  });

  test("launch --once runs one job; --max-jobs bounds the number; failures give exit code 6", async () => {
    const dir = await project();
    writeFileSync(
      join(dir, "f.yaml"),
      "name: f\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, sh: 'true'}\n  - {name: c, sh: 'true'}\n  - {name: d, sh: 'exit 4'}\n",
    );
    await ferry(["add", "f.yaml"], { cwd: dir });
    const once = await ferry(["launch", "--once", "--json"], { cwd: dir });
    assert.equal(JSON.parse(once.stdout).claimed, 1);
    const two = await ferry(["launch", "--max-jobs", "2", "--json"], { cwd: dir });
    assert.equal(JSON.parse(two.stdout).claimed, 2);
    const rest = await ferry(["launch", "--json"], { cwd: dir });
    assert.equal(rest.code, 6);
    assert.deepEqual(JSON.parse(rest.stdout), {
      claimed: 1,
      completed: 0,
      failed: 1,
      interrupted: 0,
      stopped: 0,
      recovered: 0,
      lost: 0,
      abandoned: [],
    });
    assert.match(rest.stderr, /job 4 d failed: task 0 \(sh\) exited with code 4/);
  });

  test("Ctrl+C once stops claiming and lets running jobs finish; twice interrupts them back to READY", async () => {
    const dir = await project();
    writeFileSync(
      join(dir, "slow.yaml"),
      `name: slow\njobs:\n${[1, 2, 3, 4].map((i) => `  - {name: s${i}, sh: 'sleep 1.5; echo done > marker'}\n`).join("")}`,
    );
    await ferry(["add", "slow.yaml"], { cwd: dir });
    const child = spawnFerry(["launch", "--concurrency", "2", "--json"], { cwd: dir });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    await startedRuns(dir, 2);
    child.kill("SIGINT");
    assert.equal(await exited, 130, "stopped by Ctrl+C: interrupted, even though its jobs finished");
    assert.deepEqual(JSON.parse(stdout), {
      claimed: 2,
      completed: 2,
      failed: 0,
      interrupted: 0,
      stopped: 0,
      recovered: 0,
      lost: 0,
      abandoned: [],
    });

    const second = spawnFerry(["launch", "--concurrency", "2", "--json"], { cwd: dir });
    let out2 = "";
    second.stdout.on("data", (d) => (out2 += d));
    const exited2 = new Promise<number | null>((r) => second.on("exit", (c) => r(c)));
    await startedRuns(dir, 4);
    second.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 100));
    second.kill("SIGINT");
    await exited2;
    assert.deepEqual(JSON.parse(out2), {
      claimed: 2,
      completed: 0,
      failed: 0,
      interrupted: 2,
      stopped: 0,
      recovered: 0,
      lost: 0,
      abandoned: [],
    });
    const jobs = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
      state: string;
    }[];
    assert.deepEqual(jobs.map((j) => j.state).sort(), ["COMPLETED", "COMPLETED", "READY", "READY"]);
    const last = await ferry(["launch", "--json"], { cwd: dir });
    assert.equal(JSON.parse(last.stdout).completed, 2, "interrupted jobs run again");
  });

  test("jobs logs --follow prints a running job's output until it ends", async () => {
    const dir = await project();
    writeFileSync(
      join(dir, "talk.yaml"),
      'name: talk\njobs:\n  - name: t\n    sh: |\n      for i in 1 2 3 4; do echo "line $i"; sleep 0.4; done\n',
    );
    await ferry(["add", "talk.yaml"], { cwd: dir });
    const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir });
    const launched = new Promise((r) => launcher.on("exit", r));
    await startedRuns(dir, 1);
    const follow = await ferry(["jobs", "logs", "1", "--follow"], { cwd: dir, timeoutMs: 20_000 });
    await launched;
    assert.equal(follow.code, 0, follow.stderr);
    for (const i of [1, 2, 3, 4]) assert.match(follow.stdout, new RegExp(`line ${i}`));
  });

  test("npm start: the demo completes with the expected value", async () => {
    const r = await ferry(["demo"], { cwd: tempDir() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /final value: pi ≈ 3\.14\d*/);
    assert.match(r.stdout, /demo OK/);
    assert.equal((r.stdout.match(/^\d+\s+1\s+\S+\s+COMPLETED/gm) ?? []).length, 7);
  });
});
