/**
 * Actions that do not add jobs — output, storedData, input edits, stops, exit, invalid actions —
 * each run through the real pull launcher on SQLite and PostgreSQL. Graph actions:
 * actions-graph.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { dialects } from "../../test/helpers/stores.ts";
import { flow } from "../flow/builder.ts";
import { openKit } from "./actions-kit.test-support.ts";
import { addFlow } from "./add-flow.ts";

for (const d of dialects()) {
  describe(`actions on ${d.name}`, { skip: d.skip, concurrency: 4 }, () => {
    test("output replaces the job's output (last task wins); storedData merges key by key", async () => {
      await using k = await openKit(d);
      const f = flow("out");
      f.job("a", {
        ...k.acting(
          "a",
          [
            { output: { result: 1 }, storedData: { x: 1, y: 1 } },
            { output: { result: 42 }, storedData: { y: 2 } },
          ],
          [{ ignored: true }, { ignored: true }],
        ),
      });
      f.job("c", { parents: ["a"], js: k.task("echo"), inputs: { got: "${{ a.result }}" } });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 2, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(j.a!.outputs, { result: 42 });
      assert.deepEqual(j.a!.storedData, { x: 1, y: 2 });
      assert.deepEqual(j.c!.outputs, { got: 42 });
    });

    test("updateChildren sets inputs on the children, or on every descendant with propagate", async () => {
      await using k = await openKit(d);
      const f = flow("update");
      f.job("a", {
        ...k.acting(
          "a",
          [
            {
              updateChildren: { inputs: { x: 1, from: "${{ a.v }}" } },
              addJobs: [{ name: "new", js: k.task("echo") }],
            },
          ],
          [{ v: "A" }],
        ),
      });
      f.job("b", { parents: ["a"], js: k.task("echo"), inputs: { x: 0, keep: true } });
      f.job("c", { parents: ["b"], js: k.task("echo"), inputs: { y: 0 } });
      f.job("p", { ...k.acting("p", [{ updateChildren: { inputs: { z: [1] }, propagate: true } }]) });
      f.job("q", { parents: ["p"], js: k.task("echo") });
      f.job("r", { parents: ["q"], js: k.task("echo") });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 7, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(j.b!.inputs, { x: 1, keep: true, from: "${{ a.v }}" });
      assert.deepEqual(j.b!.outputs, { x: 1, keep: true, from: "A" }, "references in updates are resolved");
      assert.deepEqual(j.c!.inputs, { y: 0 }, "not propagated");
      assert.deepEqual(j.new!.inputs, {}, "jobs added by the same action do not receive the update");
      assert.deepEqual(j.q!.outputs, { z: [1] });
      assert.deepEqual(j.r!.outputs, { z: [1] }, "propagated to the grandchild");
      const events = await k.store.getEvents(j.b!.id);
      assert.ok(events.some((e) => /inputs edited by the action of "a"/.test(e.reason ?? "")));
    });

    test("modifyChildren: set, unset, push, pushAll, inc, in task order", async () => {
      await using k = await openKit(d);
      const f = flow("modify");
      f.job("a", {
        ...k.acting("a", [
          {
            modifyChildren: {
              set: { "nested.deep.v": "s" },
              unset: ["nested.drop", "missing.key"],
              push: { list: 2 },
              pushAll: { list: [3, 4], fresh: [1] },
              inc: { n: 2, m: 5 },
            },
          },
          { modifyChildren: { push: { list: 5 }, set: { "list.0": 0 } } },
        ]),
      });
      f.job("c", {
        parents: ["a"],
        js: k.task("echo"),
        inputs: { list: [1], n: 1, nested: { keep: true, drop: 1 } },
      });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 2, failed: 0 });
      const j = await k.jobs(flowId);
      const expected = {
        list: [0, 2, 3, 4, 5],
        n: 3,
        m: 5,
        nested: { keep: true, deep: { v: "s" } },
        fresh: [1],
      };
      assert.deepEqual(j.c!.inputs, expected);
      assert.deepEqual(j.c!.outputs, expected);
    });

    test("modifyChildren onto the wrong type fails the job and changes nothing", async () => {
      await using k = await openKit(d);
      const f = flow("badmod");
      f.job("a", { ...k.acting("a", [{ modifyChildren: { inc: { n: 1 }, push: { s: 1 } } }]) });
      f.job("c", { parents: ["a"], js: k.task("echo"), inputs: { s: "text", n: 1 } });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 0, failed: 1 });
      const j = await k.jobs(flowId);
      assert.equal(j.a!.state, "FAILED");
      assert.equal(j.a!.outputs, null);
      assert.match(
        (await k.error(j.a!.id))!,
        /its action was refused: task 0 \(js\): modifyChildren: child "c": push "s": it holds a string \("text"\), not an array/,
      );
      assert.equal(j.c!.state, "WAITING");
      assert.deepEqual(j.c!.inputs, { s: "text", n: 1 }, "the inc before the failing push was undone");
    });

    test("parents finishing together all push onto one child: no edit is lost", async () => {
      await using k = await openKit(d);
      const f = flow("fan-in");
      const parents = [1, 2, 3, 4, 5, 6].map((i) => {
        f.job(`p${i}`, {
          ...k.acting(`p${i}`, [{ modifyChildren: { push: { values: i }, inc: { n: i } } }]),
        });
        return `p${i}`;
      });
      f.job("c", { parents, js: k.task("echo"), inputs: { values: [], n: 0 } });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(4), { completed: 7, failed: 0 });
      const c = (await k.jobs(flowId)).c!;
      assert.deepEqual([...(c.inputs.values as number[])].sort(), [1, 2, 3, 4, 5, 6]);
      assert.equal(c.inputs.n, 21);
    });

    test("stopChildren from an sh task ($FERRY_ACTION): children CANCELLED, the rest of the flow runs", async () => {
      await using k = await openKit(d);
      const f = flow("stop");
      f.job("a", { sh: `printf '{"stopChildren": true}' > "$FERRY_ACTION"` });
      f.job("b", { parents: ["a"], sh: "true" });
      f.job("c", { parents: ["a"], sh: "true" });
      f.job("e", { parents: ["c"], sh: "true" });
      f.job("z", { sh: "true" });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 2, failed: 0 });
      const j = await k.jobs(flowId);
      const states = Object.fromEntries(Object.entries(j).map(([n, x]) => [n, x.state]));
      assert.deepEqual(states, {
        a: "COMPLETED",
        b: "CANCELLED",
        c: "CANCELLED",
        e: "WAITING",
        z: "COMPLETED",
      });
      const last = (await k.store.getEvents(j.b!.id)).at(-1)!;
      assert.equal(last.to, "CANCELLED");
      assert.equal(last.reason, 'stopped by parent "a"');
    });

    test("stopFlow cancels every job that has not run, but not the jobs the same action adds", async () => {
      await using k = await openKit(d);
      const f = flow("stopflow");
      f.job("a", {
        priority: 10,
        ...k.acting("a", [{ stopFlow: true, addJobs: [{ name: "cleanup", sh: "true" }] }]),
      });
      f.job("b", { parents: ["a"], sh: "true" });
      f.job("z", { sh: "true" });
      f.job("y", { parents: ["z"], sh: "true" });
      const { flowId } = await addFlow(k.store, f.build());
      await k.run();
      const j = await k.jobs(flowId);
      const states = Object.fromEntries(Object.entries(j).map(([n, x]) => [n, x.state]));
      assert.deepEqual(states, {
        a: "COMPLETED",
        b: "CANCELLED",
        z: "CANCELLED",
        y: "CANCELLED",
        cleanup: "COMPLETED",
      });
      assert.match((await k.store.getEvents(j.z!.id)).at(-1)!.reason!, /flow stopped by "a"/);
    });

    test("exit skips the remaining tasks: sh with $FERRY_STOP, js with exit", async () => {
      await using k = await openKit(d);
      const f = flow("exit");
      f.job("s", {
        tasks: [
          {
            sh: `echo '{"n": 1}' > "$FERRY_OUTPUTS"; printf '{"exit": true}' > "$FERRY_ACTION"; touch "$FERRY_STOP"`,
          },
          { sh: "touch s-ran" },
        ],
      });
      const acting = k.acting("j", [{ exit: true }], [{ n: 2 }]);
      f.job("j", { tasks: [...acting.tasks, { sh: "touch j-ran" }], inputs: acting.inputs });
      f.job("c", { parents: ["s", "j"], js: k.task("echo"), inputs: { s: "${{ s.n }}", j: "${{ j.n }}" } });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 3, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(j.c!.outputs, { s: 1, j: 2 });
      const dirs = await k.store.currentRuns([j.s!.id, j.j!.id]);
      assert.equal(existsSync(join(dirs.get(j.s!.id)!.launchDir!, "s-ran")), false);
      assert.equal(existsSync(join(dirs.get(j.j!.id)!.launchDir!, "j-ran")), false);
    });

    test("an unknown key fails the job with a message naming it", async () => {
      await using k = await openKit(d);
      const f = flow("invalid");
      f.job("a", { sh: `printf '{"stopChildern": true}' > "$FERRY_ACTION"`, inputs: {} });
      f.job("b", { parents: ["a"], sh: "true" });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 0, failed: 1 });
      const j = await k.jobs(flowId);
      assert.equal(j.a!.state, "FAILED");
      assert.equal(
        await k.error(j.a!.id),
        'its action was refused: task 0 (sh): unknown key "stopChildern" (did you mean "stopChildren"?)',
      );
      assert.equal(j.b!.state, "WAITING");
    });
  });
}
