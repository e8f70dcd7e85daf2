import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ValidationError } from "../model/errors.ts";
import { flow, js } from "./builder.ts";
import { loadFlowFile } from "./parse.ts";

const dir = mkdtempSync(join(tmpdir(), "ferry-flow-"));
writeFileSync(join(dir, "tasks.mjs"), "export function f(i) { return i; }\n");

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function issuesOf(path: string): ValidationError["issues"] {
  try {
    loadFlowFile(path);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.issues;
  }
  assert.fail("expected a ValidationError");
}

const base = `name: f
jobs:
  - name: a
    sh: echo a
`;

test("a valid YAML flow: shorthand tasks, defaults, resolved module paths", () => {
  const spec = loadFlowFile(
    file(
      "ok.yaml",
      `name: ok
defaults: {resources: {walltime: "1:00:00"}, priority: 2}
jobs:
  - name: a
    sh: echo a
  - name: b
    parents: [a]
    inputs: {x: "\${{ a.value }}"}
    tasks:
      - js: ./tasks.mjs#f
      - {sh: "echo b", env: {K: v}}
    resources: {nodes: 2}
`,
    ),
  );
  assert.equal(spec.jobs.length, 2);
  const b = spec.jobs[1]!;
  assert.deepEqual(b.tasks[0], { kind: "js", module: join(dir, "tasks.mjs"), export: "f" });
  assert.deepEqual(b.tasks[1], { kind: "sh", command: "echo b", env: { K: "v" } });
  assert.deepEqual(b.resources, { walltime: "1:00:00", nodes: 2 });
  assert.equal(b.priority, 2);
});

test("JSON flows mean the same as YAML flows", () => {
  const j = loadFlowFile(file("ok.json", JSON.stringify({ name: "f", jobs: [{ name: "a", sh: "echo a" }] })));
  const y = loadFlowFile(file("ok2.yaml", base));
  assert.deepEqual({ ...j, source: undefined }, { ...y, source: undefined });
});

test("cycle: named with the path of the cycle", () => {
  const issues = issuesOf(
    file(
      "cycle.yaml",
      `name: f\njobs:\n  - {name: a, parents: [c], sh: x}\n  - {name: b, parents: [a], sh: x}\n  - {name: c, parents: [b], sh: x}\n`,
    ),
  );
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  assert.equal(issues[0]!.field, "parents");
  assert.match(issues[0]!.file!, /cycle\.yaml$/);
});

test("unknown parent: file, job, field and a suggestion", () => {
  const [i] = issuesOf(file("parent.yaml", `${base}  - {name: b, parents: [aa], sh: x}\n`));
  assert.deepEqual({ job: i!.job, field: i!.field }, { job: "b", field: "parents[0]" });
  assert.match(i!.message, /unknown parent "aa" \(did you mean "a"\?\)/);
});

test("reference to a job that is not an ancestor, and to an unknown job", () => {
  const issues = issuesOf(
    file(
      "ref.yaml",
      `${base}  - {name: b, sh: x}\n  - name: c\n    parents: [a]\n    inputs: {x: "\${{ b.value }}", y: {$ref: zz}}\n    sh: x\n`,
    ),
  );
  assert.equal(issues.length, 2);
  assert.deepEqual({ job: issues[0]!.job, field: issues[0]!.field }, { job: "c", field: "inputs.x" });
  assert.match(issues[0]!.message, /points to "b", which is not an ancestor of "c"/);
  assert.deepEqual({ job: issues[1]!.job, field: issues[1]!.field }, { job: "c", field: "inputs.y" });
  assert.match(issues[1]!.message, /unknown job "zz"/);
});

test("unknown keys: job, resources (with suggestion) and task kinds", () => {
  const issues = issuesOf(
    file(
      "keys.yaml",
      `${base}  - name: b\n    paretns: [a]\n    resources: {wallclock: 1h}\n    tasks:\n      - {rb: "x.f"}\n`,
    ),
  );
  const byField = Object.fromEntries(issues.map((i) => [i.field, i]));
  assert.match(byField.paretns!.message, /unknown key "paretns" \(did you mean "parents"\?\)/);
  assert.equal(byField.paretns!.job, "b");
  assert.match(byField["resources.wallclock"]!.message, /unknown key "wallclock"/);
  assert.match(byField["tasks[0].rb"]!.message, /unknown task kind or key "rb" \(task kinds: sh, js, py/);
});

test("wrong types and duplicate names", () => {
  const types = issuesOf(
    file("types.yaml", `name: f\njobs:\n  - {name: a, sh: x, priority: high, parents: a}\n`),
  );
  assert.deepEqual(types.map((i) => i.field).sort(), ["parents", "priority"]);
  const dup = issuesOf(file("dup.yaml", `${base}  - {name: a, sh: y}\n`));
  assert.match(dup[0]!.message, /duplicate job name "a"/);
});

test("bad YAML and a missing module are reported with the file", () => {
  const [y] = issuesOf(file("bad.yaml", "name: f\njobs:\n  - name: a\n    sh: echo '{\"x\": 1}' > out\n"));
  assert.match(y!.message, /YAML: .*line 4/);
  const [m] = issuesOf(file("mod.yaml", "name: f\njobs:\n  - {name: a, js: ./nope.mjs#f}\n"));
  assert.deepEqual({ job: m!.job, field: m!.field }, { job: "a", field: "tasks[0].js" });
  assert.match(m!.message, /module not found/);
});

test("the builder builds the same spec as the equivalent file", () => {
  const f = flow("d");
  const a = f.job("a", { sh: "echo a", inputs: { n: 1 } });
  f.job("b", { parents: [a], js: js(join(dir, "tasks.mjs"), "f"), inputs: { x: a.output("v[0]") } });
  const built = f.build();
  const fromFile = loadFlowFile(
    file(
      "same.yaml",
      `name: d\njobs:\n  - {name: a, sh: echo a, inputs: {n: 1}}\n  - {name: b, parents: [a], js: ./tasks.mjs#f, inputs: {x: {$ref: a, path: "v[0]"}}}\n`,
    ),
  );
  assert.deepEqual(built.jobs, fromFile.jobs);
  const g = flow("bad");
  g.job("b", { sh: "x", inputs: { x: { $ref: "a" } } });
  assert.throws(
    () => g.build(),
    (e: Error) => e instanceof ValidationError && /unknown job "a"/.test(e.message),
  );
});

test("issues come in document order: the flow's fields, then each job's, then the flow's unknown keys", () => {
  const p = file(
    "order.json",
    JSON.stringify({
      name: "",
      bogus: 1,
      defaults: { x: 1 },
      jobs: [
        { name: "a", sh: "true", extra: 1 },
        { sh: "true" },
        { name: "c", sh: "true", priority: "high" },
      ],
    }),
  );
  assert.deepEqual(
    issuesOf(p).map((i) => [i.job ?? null, i.field ?? null]),
    [
      [null, "name"],
      [null, "defaults.x"],
      ["a", "extra"],
      ["#2", "name"],
      ["c", "priority"],
      [null, "bogus"],
    ],
  );
});

test("inputs are stored as written, except a __proto__ key, which the schema drops as it always has", () => {
  const p = file(
    "proto.json",
    '{"name": "f", "jobs": [{"name": "a", "sh": "true", "inputs": {"x": [1, {"y": "z"}], "__proto__": {"p": 1}}}, {"name": "b", "sh": "true", "inputs": {"n": {"m": 2}}, "parents": ["a"]}]}',
  );
  const spec = loadFlowFile(p);
  assert.deepEqual(spec.jobs[0]!.inputs, { x: [1, { y: "z" }] });
  assert.equal(Object.getPrototypeOf(spec.jobs[0]!.inputs), Object.prototype);
  assert.deepEqual(spec.jobs[1]!.inputs, { n: { m: 2 } });
});

test("jobs with the same sh command share one frozen task list; a spec's empty fields are frozen too", () => {
  const p = file(
    "shared.yaml",
    "name: f\njobs:\n  - {name: a, sh: 'echo hi'}\n  - {name: b, sh: 'echo hi', parents: [a]}\n  - {name: c, sh: 'echo ho'}\n",
  );
  const [a, b, c] = loadFlowFile(p).jobs;
  assert.deepEqual(a!.tasks, [{ kind: "sh", command: "echo hi" }]);
  assert.equal(a!.tasks, b!.tasks);
  assert.notEqual(a!.tasks, c!.tasks);
  // a write into a shared value throws (ES modules are strict) instead of changing every job
  assert.throws(() => (a!.tasks as unknown[]).push({}), TypeError);
  assert.throws(() => {
    (a!.inputs as Record<string, unknown>).x = 1;
  }, TypeError);
  assert.throws(() => (a!.parents as string[]).push("x"), TypeError);
  assert.deepEqual(b!.parents, ["a"]);
});
