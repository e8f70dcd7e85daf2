/**
 * py tasks in pull mode, with the real python3 and ferry's runner: module and file targets,
 * outputs passed on through references, actions, and what a user sees when Python fails.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { ValidationError } from "../src/model/errors.ts";
import { ferry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

/** A module found through PYTHONPATH (the worker's env), as an installed package would be. */
const CHEM = `
def start(n):
    return {"x": 1.0, "v": [0.0, 2.0], "n": n}

def divide(a, b):
    return {"q": a / b}

def stop_here(**inputs):
    return {"$action": {"stopChildren": True}, "output": {"stopped": True}}

class Tools:
    @staticmethod
    def double(x):
        return {"y": 2 * x}
`;

/** A file task: copied into the bundle, so it runs where its login-side path does not exist. */
const CHECK = `
def types(x, v):
    return {"types": [type(x).__name__, [type(e).__name__ for e in v]], "x": x, "v": v}
`;

const sqlite = dialects()[0]!;

async function project(extra: Record<string, unknown> = {}, d = sqlite) {
  const lib = tempDir("ferry-pylib-");
  writeFileSync(join(lib, "chem.py"), CHEM);
  const p = await testProject(d, { env: { PYTHONPATH: lib }, ...extra });
  p.file("tasks/check.py", CHECK);
  return p;
}

for (const d of dialects()) {
  test(`module and file targets run; integral floats reach the child as floats, byte for byte (${d.name})`, {
    skip: d.skip,
  }, async () => {
    await using p = await project({}, d);
    const ids = await p.add(`name: floats
jobs:
  - {name: a, inputs: {n: 3}, py: "chem:start"}
  - name: b
    parents: [a]
    inputs: {x: "\${{ a.x }}", v: {$ref: a, path: v}}
    py: tasks/check.py:types
  - {name: c, parents: [b], inputs: {x: "\${{ a.n }}"}, py: "chem:Tools.double"}
`);
    const s = await p.launch();
    assert.deepEqual([s.completed, s.failed], [3, 0]);
    const jobs = await p.jobs();
    // PostgreSQL's jsonb keeps its own key order: compare per key, byte for byte
    const text = (v: unknown) => JSON.stringify(v);
    const b = jobs.b!.outputs as Record<string, unknown>;
    assert.deepEqual(
      [text(b.types), text(b.x), text(b.v)],
      ['["float",["float","float"]]', "1.0", "[0.0,2.0]"],
    );
    const a = jobs.a!.outputs as Record<string, unknown>;
    assert.deepEqual([text(a.x), text(a.v), text(a.n)], ["1.0", "[0.0,2.0]", "3"], "stored as written");
    const run = (await p.store.currentRuns([ids.b!])).get(ids.b!)!;
    assert.equal(text((run.outputs as Record<string, unknown>).v), "[0.0,2.0]", "the run record too");
    const inputs = readFileSync(bundlePaths(run.launchDir!).inputs, "utf8");
    assert.ok(
      ['{"x":1.0,"v":[0.0,2.0]}\n', '{"v":[0.0,2.0],"x":1.0}\n'].includes(inputs),
      `inputs.json: ${inputs}`,
    );
    assert.deepEqual(jobs.c!.outputs, { y: 6 });
  });
}

describe("py tasks (pull mode)", () => {
  test("a Python exception fails the run with its traceback; rerun --runs --query on the stack selects it", async () => {
    await using p = await project();
    const ids = await p.add(`name: raise
jobs:
  - {name: zero, inputs: {a: 1, b: 0}, py: "chem:divide"}
  - {name: fine, inputs: {a: 1, b: 2}, py: "chem:divide"}
`);
    const s = await p.launch();
    assert.deepEqual([s.completed, s.failed], [1, 1]);
    assert.equal((await p.job(ids.zero!)).state, "FAILED");
    const run = (await p.store.currentRuns([ids.zero!])).get(ids.zero!)!;
    assert.equal(run.error?.message, "task 0 (py) threw: division by zero");
    assert.equal(run.error?.exitCode, 1);
    assert.equal(run.exitCode, 1);
    assert.match(run.error?.stack ?? "", /^Traceback \(most recent call last\):/);
    assert.match(run.error?.stack ?? "", /chem\.py", line 6, in divide\n\s+return \{"q": a \/ b\}/);
    assert.match(run.error?.stack ?? "", /ZeroDivisionError: division by zero\n$/);
    assert.doesNotMatch(run.error?.stack ?? "", /ferry_py\.py/, "the runner's own frames are left out");
    const query = JSON.stringify({ "error.stack": { $regex: "ZeroDivisionError" } });
    const dry = await ferry(["rerun", "--runs", "--query", query, "--dry-run", "--json"], { cwd: p.dir });
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      JSON.parse(dry.stdout).selected.map((j: { name: string }) => j.name),
      ["zero"],
    );
    const rerun = await ferry(["rerun", "--runs", "--query", query], { cwd: p.dir });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal((await p.job(ids.zero!)).state, "READY");
  });

  test("a returned action applies, and a graph action skips the job's remaining tasks", async () => {
    await using p = await project();
    const marker = join(p.dir, "second-task-ran");
    const ids = await p.add(`name: act
jobs:
  - name: s
    tasks:
      - {py: "chem:stop_here"}
      - {sh: "touch ${marker}"}
  - {name: child, parents: [s], sh: "true"}
`);
    await p.launch();
    assert.equal((await p.job(ids.s!)).state, "COMPLETED");
    assert.deepEqual((await p.job(ids.s!)).outputs, { stopped: true });
    assert.equal((await p.job(ids.child!)).state, "CANCELLED");
    assert.throws(() => readFileSync(marker), /ENOENT/);
  });

  test("a missing module, a missing python, a non-JSON return value: each says what to fix", async () => {
    await using p = await project();
    p.file("tasks/bad.py", "def obj():\n    return {'s': {1, 2}}\n");
    const ids = await p.add(`name: broken
jobs:
  - {name: nomod, py: "no_such_module:f"}
  - {name: nofn, py: "chem:nothing"}
  - {name: set, py: "tasks/bad.py:obj"}
`);
    await p.launch();
    const err = async (id: number) => (await p.store.currentRuns([id])).get(id)!.error!;
    assert.match(
      (await err(ids.nomod!)).message,
      /No module named 'no_such_module' \(imported by the python at .*; set the worker's python: option or PYTHONPATH\)/,
    );
    assert.match((await err(ids.nofn!)).message, /module chem has no attribute 'nothing'/);
    assert.match(
      (await err(ids.set!)).message,
      /the return value of obj is not JSON: Object of type set is not JSON serializable/,
    );

    await using q = await project({ python: "/nonexistent/bin/python3" });
    const one = await q.add(`name: nopython\njobs:\n  - {name: p, py: "chem:start", inputs: {n: 1}}\n`);
    await q.launch();
    const e = (await q.store.currentRuns([one.p!])).get(one.p!)!.error!;
    assert.equal(e.exitCode, 127);
    assert.match(e.message, /python was not found on the compute node \(set the worker's python: option\)/);
  });

  test("a flow with a malformed target or a missing file is refused when added, naming the job", async () => {
    await using p = await project();
    await assert.rejects(
      p.add(`name: bad\njobs:\n  - {name: a, py: "chem.start"}\n  - {name: b, py: "./missing.py:f"}\n`),
      (e: Error) => {
        assert.ok(e instanceof ValidationError);
        const text = e.issues.map((i) => `${i.job}: ${i.field}: ${i.message}`).join("\n");
        assert.match(text, /a: py: a py task is "package.module:function" or "path\/to\/file.py:function"/);
        return true;
      },
    );
    await assert.rejects(p.add(`name: bad\njobs:\n  - {name: b, py: "./missing.py:f"}\n`), (e: Error) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.issues[0]!.message, /file not found: .*missing\.py/);
      return true;
    });
  });
});
