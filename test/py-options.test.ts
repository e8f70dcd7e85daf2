/**
 * Job options the jobflow bridge maps jobflow-remote's settings to: per-job env and preRun
 * (exec_config), a display label, large inputs kept out of the environment, `launch --flow`.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { describe, test } from "node:test";
import { bundlePaths } from "../src/bundle/layout.ts";
import { ferry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const sqlite = dialects()[0]!;

describe("per-job options", () => {
  test("job env overrides the worker's, task env overrides the job's; job preRun runs after the worker's", async () => {
    await using p = await testProject(sqlite, {
      env: { WHO: "worker", KEEP: "w" },
      preRun: 'ORDER="worker"',
    });
    const ids = await p.add(`name: env
jobs:
  - name: a
    env: {WHO: job, ONLY_JOB: "it's quoted"}
    preRun: |
      ORDER="$ORDER then job"
      export ORDER
    tasks:
      - sh: 'printf "{\\"who\\": \\"%s\\", \\"keep\\": \\"%s\\", \\"only\\": \\"%s\\", \\"order\\": \\"%s\\"}" "$WHO" "$KEEP" "$ONLY_JOB" "$ORDER" > "$FERRY_OUTPUTS"'
      - sh: 'printf "{\\"task\\": \\"%s\\"}" "$WHO" > "$FERRY_OUTPUTS"'
        env: {WHO: task}
`);
    const s = await p.launch();
    assert.equal(s.completed, 1);
    assert.deepEqual((await p.job(ids.a!)).outputs, {
      who: "job",
      keep: "w",
      only: "it's quoted",
      order: "worker then job",
      task: "task",
    });
  });

  test("a label is kept, shown by jobs show and matched by --query; names stay unique", async () => {
    await using p = await testProject(sqlite);
    const ids = await p.add(`name: labels
jobs:
  - {name: 1b2c-1, label: relax, sh: "true"}
  - {name: 1b2c-2, label: relax, sh: "true"}
  - {name: 9f00-1, label: static, sh: "true"}
`);
    assert.equal((await p.job(ids["1b2c-1"]!)).label, "relax");
    const show = await ferry(["jobs", "show", String(ids["1b2c-2"])], { cwd: p.dir });
    assert.match(show.stdout, /^job \d+ "1b2c-2" \(relax\) in flow/);
    const list = await ferry(["jobs", "list", "--query", '{"label": "relax"}', "--json"], { cwd: p.dir });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((j: { name: string; label: string }) => [j.name, j.label]),
      [
        ["1b2c-1", "relax"],
        ["1b2c-2", "relax"],
      ],
    );
  });

  test("large inputs stay in inputs.json: 40 inputs of 60 KB run (exported, they would pass ARG_MAX)", async () => {
    await using p = await testProject(sqlite);
    const big = "x".repeat(60 * 1024);
    const inputs = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, big]));
    p.file(
      "big.json",
      JSON.stringify({
        name: "big",
        jobs: [
          {
            name: "a",
            inputs: { small: 7, ...inputs },
            sh: 'echo "{\\"small\\": $FERRY_IN_small}" > "$FERRY_OUTPUTS"',
          },
        ],
      }),
    );
    const added = await ferry(["add", "big.json", "--json"], { cwd: p.dir });
    assert.equal(added.code, 0, added.stderr);
    const id = JSON.parse(added.stdout)[0].jobIds.a as number;
    const s = await p.launch();
    assert.equal(s.completed, 1, "the task started: its environment fits");
    assert.deepEqual((await p.job(id)).outputs, { small: 7 });
    const dir = (await p.store.currentRuns([id])).get(id)!.launchDir!;
    const env = readFileSync(bundlePaths(dir).env, "utf8");
    assert.ok(statSync(bundlePaths(dir).env).size < 300 * 1024, "env.sh holds at most 256 KiB of inputs");
    assert.ok(/^export FERRY_IN_small=7$/m.test(env), "small inputs are still exported");
    // 256 KiB of room: 7, then four of the 60 KiB inputs; the other 36 are in inputs.json only
    assert.equal(env.match(/^export FERRY_IN_/gm)?.length, 5);
    assert.ok(statSync(bundlePaths(dir).inputs).size > 40 * 60 * 1024, "inputs.json has every input");
  });
});

describe("ferry launch --flow", () => {
  test("runs only the jobs of the named flows", async () => {
    await using p = await testProject(sqlite);
    const a = await p.add(
      "name: one\njobs:\n  - {name: x, sh: 'true'}\n  - {name: y, parents: [x], sh: 'true'}\n",
    );
    const b = await p.add("name: two\njobs:\n  - {name: x, sh: 'true'}\n");
    const flowOne = (await p.job(a.x!)).flowId;
    const r = await ferry(["launch", "--flow", String(flowOne), "--json"], { cwd: p.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).completed, 2);
    assert.deepEqual(
      [(await p.job(a.x!)).state, (await p.job(a.y!)).state, (await p.job(b.x!)).state],
      ["COMPLETED", "COMPLETED", "READY"],
    );
    const bad = await ferry(["launch", "--flow", "one"], { cwd: p.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--flow needs flow ids, got "one"/);
  });
});
