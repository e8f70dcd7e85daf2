/**
 * Actions that are refused before anything is written, called directly (no launcher): each case
 * claims the job and applies the action in a transaction that the refusal rolls back.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { dialects } from "../../test/helpers/stores.ts";
import { flow } from "../flow/builder.ts";
import type { JsonObject } from "../model/json.ts";
import { ActionError, applyActions } from "./actions.ts";
import { type Kit, openKit } from "./actions-kit.test-support.ts";
import { addFlow } from "./add-flow.ts";

async function refusal(k: Kit, jobId: number, actions: object[]): Promise<string> {
  try {
    await k.store.transaction(async (tx) => {
      const now = Date.now();
      await tx.transitionJobs([jobId], { from: ["READY"], to: "RUNNING", reason: "test", now });
      const runId = (
        await tx.insertRuns([{ jobId, state: "RUNNING", mode: "pull", worker: "local" }], now)
      ).get(jobId)!;
      const job = (await tx.getJob(jobId))!;
      await applyActions(tx, { job, runId, actions: actions as JsonObject[], now });
    });
  } catch (e) {
    assert.ok(e instanceof ActionError, String(e));
    return e.message;
  }
  assert.fail("the action was applied");
}

for (const d of dialects()) {
  describe(`refused actions on ${d.name}`, { skip: d.skip }, () => {
    test("each refusal names the task and the problem, and writes nothing", async () => {
      await using k = await openKit(d);
      const f = flow("refusals");
      f.job("a", { tasks: [{ js: k.task("echo") }, { js: k.task("echo") }] });
      f.job("c", { parents: ["a"], sh: "true", inputs: { s: "text" } });
      f.job("s", { sh: "true" });
      const { flowId, jobIds } = await addFlow(k.store, f.build());
      const a = jobIds.a!;
      const sh = (name: string) => ({ name, sh: "true" });
      const cases: [number, object[], RegExp][] = [
        [
          a,
          [{ detour: { jobs: [{ ...sh("d"), parents: ["c"] }] } }],
          /task 0 \(js\): "c" would wait for "d", which already waits for "c" \(a cycle\)/,
        ],
        [
          a,
          [{ addJobs: [sh("x")] }, { addJobs: [sh("x")] }],
          /task 1 \(js\): job name "x" is used twice \(also by task 0 \(js\)\)/,
        ],
        [a, [{ addJobs: [sh("c")] }], /job name "c" is already used in this flow \(job \d+, WAITING\)/],
        [a, [{ addJobs: [sh("a")] }], /job name "a" is the name of this job/],
        [
          a,
          [{ addJobs: [{ ...sh("x"), parents: ["nope"] }] }],
          /job "x", field "parents\[0\]": unknown parent "nope"/,
        ],
        [
          a,
          [{ output: 1 }, { replace: { jobs: [sh("r")] } }],
          /task 0 \(js\): output cannot be combined with replace/,
        ],
        [a, [{ replace: { jobs: [sh("r1"), sh("r2")] } }], /the replacement has 2 leaves \(r1, r2\)/],
        [
          a,
          [{ replace: { jobs: [sh("r1")], output: "${{ c.v }}" } }],
          /output names "c", which is not one of the replacement's jobs/,
        ],
        [
          a,
          [{ replace: { jobs: [{ ...sh("r1"), inputs: { v: "${{ a.v }}" } }] } }],
          /job "r1" references "a" \(inputs.v\)/,
        ],
        [
          a,
          [{ modifyChildren: { set: { "s.x": 1 } } }],
          /modifyChildren: child "c": set "s.x": "s" holds a string \("text"\), not an object/,
        ],
        [
          a,
          [{ addJobs: [{ name: "x", js: `${join(k.dir, "tasks.mjs")}#nope` }] }],
          /job "x", field "tasks\[0\].js": .*nope/,
        ],
        [
          jobIds.s!,
          [{ addJobs: [{ name: "x", js: "tasks.mjs#echo" }] }],
          /task 0 \(sh\): job "x", field "js": relative module path "tasks.mjs" in an action of an sh task/,
        ],
        [
          a,
          [{ addFlow: { name: "bad name", jobs: [sh("x")] } }],
          /addFlow.name: a sub-flow name uses letters/,
        ],
      ];
      for (const [jobId, actions, expected] of cases)
        assert.match(await refusal(k, jobId, actions), expected);
      assert.deepEqual(Object.keys(await k.jobs(flowId)).sort(), ["a", "c", "s"]);
      assert.deepEqual(await k.edges(flowId), ["a>c"]);
      assert.deepEqual((await k.store.getJob(jobIds.c!))!.inputs, { s: "text" });
    });
  });
}
