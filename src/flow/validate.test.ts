import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsonObject } from "../model/json.ts";
import type { FlowSpec, JobSpec } from "../model/types.ts";
import { validateFlowSpec } from "./validate.ts";

function job(name: string, parents: string[] = [], inputs: JsonObject = {}): JobSpec {
  return {
    name,
    tasks: [{ kind: "sh", command: "true" }],
    parents,
    inputs,
    resources: {},
    worker: null,
    category: null,
    priority: 0,
    metadata: {},
    allowFailedParents: false,
    label: null,
    env: {},
    preRun: null,
    onMissingReference: "fail",
  };
}

const flow = (...jobs: JobSpec[]): FlowSpec => ({ name: "f", metadata: {}, jobs, source: "f.yaml" });

test("a parent listed twice is an issue of the file, not a database error later", () => {
  const issues = validateFlowSpec(flow(job("a"), job("b", ["a", "a"])));
  assert.deepEqual(
    issues.map((i) => [i.job, i.field, i.message]),
    [["b", "parents[1]", 'parent "a" is listed twice']],
  );
});

test("references reach ancestors through parents listed after their children, and only them", () => {
  const issues = validateFlowSpec(
    flow(
      job("d", ["c"], { x: "${{ a.v }}", y: "${{ side.v }}", z: { $ref: "b" } }),
      job("c", ["b"]),
      job("b", ["a"]),
      job("a"),
      job("side", ["a"]),
    ),
  );
  assert.deepEqual(
    issues.map((i) => [i.job, i.field]),
    [["d", "inputs.y"]],
  );
  assert.match(issues[0]!.message, /points to "side", which is not an ancestor of "d"/);
});

test("a dynamic addition: ancestors of existing parents count, other existing jobs do not", () => {
  // existing: root → mid; the action adds "new" under "mid"
  const existing = new Map([
    ["root", new Set<string>()],
    ["mid", new Set(["root"])],
    ["other", new Set(["root"])],
  ]);
  const issues = validateFlowSpec(
    flow(job("new", ["mid"], { a: "${{ root.v }}", b: "${{ mid.v }}", c: "${{ other.v }}" })),
    existing,
  );
  assert.deepEqual(
    issues.map((i) => i.field),
    ["inputs.c"],
  );
});

test("issues keep the order of the file: jobs, then fields within a job", () => {
  const issues = validateFlowSpec(
    flow(job("a"), job("b"), job("c", ["a"], { p: "${{ b.v }}", q: "${{ nope.v }}", r: "${{ b.w }}" })),
  );
  assert.deepEqual(
    issues.map((i) => i.field),
    ["inputs.p", "inputs.q", "inputs.r"],
  );
});

test("suggestions stop after twenty misses; every miss is still reported", () => {
  const jobs = [job("alpha")];
  for (let i = 0; i < 30; i++) jobs.push(job(`j${i}`, ["alphx"]));
  const issues = validateFlowSpec(flow(...jobs));
  assert.equal(issues.length, 30);
  assert.equal(issues.filter((i) => i.message.includes('did you mean "alpha"')).length, 20);
});
