/**
 * Actions that add jobs — addJobs, addFlow, detour, replace — and the rerun rule, through the
 * real pull launcher on SQLite and PostgreSQL: the resulting edges, inputs, outputs and states.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialects } from "../../test/helpers/stores.ts";
import { flow } from "../flow/builder.ts";
import type { JsonObject } from "../model/json.ts";
import { applyActions } from "./actions.ts";
import { openKit } from "./actions-kit.test-support.ts";
import { addFlow } from "./add-flow.ts";
import { applyOutcome } from "./outcome.ts";
import { InputsError, replacementOutput, resolveInputs } from "./resolve.ts";

for (const d of dialects()) {
  describe(`graph actions on ${d.name}`, { skip: d.skip, concurrency: 4 }, () => {
    test("addJobs: default parent, existing parents, references to existing outputs, inheritance", async () => {
      await using k = await openKit(d);
      const f = flow("add");
      f.job("g", { js: k.task("double"), inputs: { x: 1 } });
      f.job("b", { js: k.task("double"), inputs: { x: 10 } });
      const echo = k.task("echo");
      f.job("a", {
        parents: ["g"],
        priority: 5,
        worker: "local",
        resources: { walltime: "1:00:00" },
        ...k.acting(
          "a",
          [
            {
              addJobs: [
                { name: "x", js: "tasks.mjs#echo", inputs: { mine: "${{ a.v }}", grand: "${{ g.value }}" } },
                { name: "y", parents: ["a", "b"], js: echo, inputs: { b: "${{ b.value }}" }, priority: 1 },
                { name: "z", parents: ["x", "y"], js: echo, inputs: { x: "${{ x.mine }}" } },
              ],
            },
          ],
          [{ v: "A" }],
        ),
      });
      // sh tasks do not stop after an action: the second task's action names the first one's job
      const first = JSON.stringify({ addJobs: [{ name: "s1", sh: "true" }] });
      const second = JSON.stringify({ addJobs: [{ name: "s2", parents: ["s1"], sh: "true" }] });
      f.job("s", {
        tasks: [
          { sh: `printf '%s' '${first}' > "$FERRY_ACTION"` },
          { sh: `printf '%s' '${second}' > "$FERRY_ACTION"` },
        ],
      });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 9, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(await k.edges(flowId), ["a>x", "a>y", "b>y", "g>a", "s1>s2", "s>s1", "x>z", "y>z"]);
      assert.deepEqual(j.x!.outputs, { mine: "A", grand: 2 });
      assert.deepEqual(j.y!.outputs, { b: 20 });
      assert.deepEqual(j.z!.outputs, { x: "A" });
      const run = (await k.store.runsOfJobs([j.a!.id]))[0]!;
      assert.equal(j.x!.addedByRun, run.id);
      assert.deepEqual(
        [j.x!.worker, j.x!.priority, j.x!.resources],
        ["local", 5, {}],
        "worker and priority inherited",
      );
      assert.equal(j.y!.priority, 1, "a job's own priority wins");
      const history = await k.store.getEvents(j.x!.id);
      assert.deepEqual(
        history.slice(0, 1).map((e) => [e.from, e.to, e.reason]),
        [[null, "WAITING", `added by the action of "a" (run ${run.id})`]],
      );
    });

    test("refused: a used name, references to jobs that are not ancestors (new jobs, input edits)", async () => {
      await using k = await openKit(d);
      const f = flow("clash");
      f.job("b", { sh: "true" });
      f.job("a", { ...k.acting("a", [{ addJobs: [{ name: "b", sh: "true" }] }]) });
      f.job("c", {
        ...k.acting("c", [{ addJobs: [{ name: "w", sh: "true", inputs: { v: "${{ b.v }}" } }] }]),
      });
      f.job("e", { ...k.acting("e", [{ updateChildren: { inputs: { v: "${{ b.v }}" } } }]) });
      f.job("ec", { parents: ["e"], sh: "true" });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 1, failed: 3 });
      const j = await k.jobs(flowId);
      assert.match(
        (await k.error(j.a!.id))!,
        /task 0 \(js\): job name "b" is already used in this flow \(job \d+, COMPLETED\)/,
      );
      assert.match(
        (await k.error(j.c!.id))!,
        /job "w", field "inputs.v": reference \$\{\{ b.v \}\} points to "b", which is not an ancestor of "w"/,
      );
      assert.match(
        (await k.error(j.e!.id))!,
        /an input edit references "b", which the children do not wait for/,
      );
      assert.deepEqual(j.ec!.inputs, {});
      assert.deepEqual(Object.keys(j).sort(), ["a", "b", "c", "e", "ec"]);
    });

    test("addFlow: names prefixed, references rewritten, roots under the job, metadata.subflow", async () => {
      await using k = await openKit(d);
      const f = flow("sub");
      const echo = k.task("echo");
      f.job("a", {
        ...k.acting(
          "a",
          [
            {
              addFlow: {
                name: "s1",
                metadata: { kind: "relax" },
                jobs: [
                  { name: "p", js: echo, inputs: { v: "${{ a.v }}" } },
                  {
                    name: "q",
                    parents: ["p"],
                    js: echo,
                    inputs: { w: "${{ p.v }}", o: { $ref: "p", path: "v" } },
                  },
                ],
              },
            },
          ],
          [{ v: 7 }],
        ),
      });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 3, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(await k.edges(flowId), ["a>s1-p", "s1-p>s1-q"]);
      assert.deepEqual(j["s1-q"]!.inputs, { w: "${{ s1-p.v }}", o: { $ref: "s1-p", path: "v" } });
      assert.deepEqual(j["s1-q"]!.outputs, { w: 7, o: 7 });
      assert.deepEqual(j["s1-p"]!.metadata, { kind: "relax", subflow: "s1" });
    });

    test("detour: children wait for the detour's leaves; a READY child goes back to WAITING", async () => {
      await using k = await openKit(d);
      const f = flow("detour");
      f.job("a", {
        priority: 10,
        ...k.acting(
          "a",
          [
            {
              detour: {
                jobs: [
                  { name: "d1", js: k.task("double"), inputs: { x: 2 } },
                  { name: "d2", parents: ["d1"], sh: "true" },
                ],
              },
              updateChildren: { inputs: { fixed: "${{ d1.value }}" } },
            },
          ],
          [{ v: 1 }],
        ),
      });
      f.job("c", { parents: ["a"], js: k.task("echo"), inputs: { v: "${{ a.v }}" } });
      const { flowId, jobIds } = await addFlow(k.store, f.build());
      // a READY child (as after a rerun of its parent alone): the detour must send it back to WAITING
      await k.store.transaction((tx) =>
        tx.transitionJobs([jobIds.c!], { from: ["WAITING"], to: "READY", reason: "test", now: Date.now() }),
      );
      assert.deepEqual(await k.run(), { completed: 4, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(await k.edges(flowId), ["a>c", "a>d1", "d1>d2", "d2>c"]);
      const runs = await k.store.currentRuns([j.c!.id, j.d2!.id]);
      assert.ok(runs.get(j.c!.id)!.startedAt! >= runs.get(j.d2!.id)!.finishedAt!, "c ran after the detour");
      const moves = (await k.store.getEvents(j.c!.id)).map((e) => `${e.from}>${e.to}`);
      assert.deepEqual(moves.slice(0, 4), [
        "null>WAITING",
        "WAITING>READY",
        "READY>WAITING",
        "WAITING>WAITING",
      ]);
      assert.deepEqual(j.c!.outputs, { v: 1, fixed: 4 }, "an edit may reference the detour's jobs");
    });

    test("detour and replace are refused when a child already ran", async () => {
      await using k = await openKit(d);
      const f = flow("refused");
      f.job("a", { ...k.acting("a", [{ detour: { jobs: [{ name: "d", sh: "true" }] } }]) });
      f.job("c", { parents: ["a"], sh: "true" });
      f.job("r", { ...k.acting("r", [{ replace: { jobs: [{ name: "rr", sh: "true" }] } }]) });
      f.job("rc", { parents: ["r"], sh: "true" });
      const { flowId, jobIds } = await addFlow(k.store, f.build());
      const now = Date.now();
      await k.store.transaction(async (tx) => {
        for (const [from, to] of [
          ["WAITING", "READY"],
          ["READY", "RUNNING"],
          ["RUNNING", "COMPLETED"],
        ] as const) {
          await tx.transitionJobs([jobIds.c!, jobIds.rc!], { from: [from], to, reason: "by hand", now });
        }
      });
      assert.deepEqual(await k.run(), { completed: 0, failed: 2 });
      const j = await k.jobs(flowId);
      assert.equal(
        await k.error(j.a!.id),
        'its action was refused: task 0 (js): detour refused: child "c" is COMPLETED; a detour can only go before children that have not run yet',
      );
      assert.match((await k.error(j.r!.id))!, /replace refused: child "rc" is COMPLETED/);
      assert.deepEqual(Object.keys(j).sort(), ["a", "c", "r", "rc"], "no job was added");
      assert.deepEqual(await k.edges(flowId), ["a>c", "r>rc"]);
    });

    test("replace: children move to the replacement, references to the job read its output", async () => {
      await using k = await openKit(d);
      const f = flow("replace");
      const replace = (output?: string) => ({
        replace: {
          jobs: [
            { name: `${output ? "p" : "q"}1`, js: k.task("double"), inputs: { x: 5 } },
            {
              name: `${output ? "p" : "q"}2`,
              parents: [`${output ? "p" : "q"}1`],
              js: k.task("echo"),
              inputs: { box: { value: `\${{ ${output ? "p" : "q"}1.value }}` }, value: -1 },
            },
          ],
          ...(output ? { output } : {}),
        },
      });
      f.job("a", { ...k.acting("a", [replace("${{ p2.box }}")], [{ value: "original" }]) });
      f.job("c", { parents: ["a"], js: k.task("echo"), inputs: { got: "${{ a.value }}" } });
      f.job("b", { ...k.acting("b", [replace()]) });
      f.job("e", {
        parents: ["b"],
        js: k.task("echo"),
        inputs: { got: "${{ b.value }}", all: "${{ b.box }}" },
      });
      const { flowId } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 8, failed: 0 });
      const j = await k.jobs(flowId);
      assert.deepEqual(await k.edges(flowId), ["a>p1", "b>q1", "p1>p2", "p2>c", "q1>q2", "q2>e"]);
      assert.deepEqual(j.a!.outputs, { $replacedBy: "p2", path: "box" });
      assert.deepEqual(j.c!.outputs, { got: 10 }, "through the marker's path");
      assert.deepEqual(j.b!.outputs, { $replacedBy: "q2" });
      assert.deepEqual(j.e!.outputs, { got: -1, all: { value: 10 } }, "the single leaf by default");
      // what `ferry jobs show` prints for a replaced job: the value its children read
      assert.deepEqual(await replacementOutput(k.store, j.a!), {
        job: "p2",
        path: "box",
        value: { value: 10 },
      });
      assert.deepEqual(await replacementOutput(k.store, j.b!), {
        job: "q2",
        path: "",
        value: { box: { value: 10 }, value: -1 },
      });
      assert.equal(await replacementOutput(k.store, j.c!), null);
    });

    test("a rerun does not add the same jobs twice: addJobs and detour are skipped, no new edges", async () => {
      await using k = await openKit(d);
      const f = flow("rerun");
      const action: JsonObject = {
        addJobs: [{ name: "x", sh: "true" }],
        detour: { jobs: [{ name: "d", sh: "true" }] },
      };
      f.job("a", { ...k.acting("a", [action]) });
      f.job("c", { parents: ["a"], sh: "true" });
      const { flowId, jobIds } = await addFlow(k.store, f.build());
      assert.deepEqual(await k.run(), { completed: 4, failed: 0 });
      const before = await k.edges(flowId);
      assert.deepEqual(before, ["a>c", "a>d", "a>x", "d>c"]);

      // a second completion of "a" returning the same action (as after a rerun)
      const again = async () =>
        k.store.transaction(async (tx) => {
          const now = Date.now();
          await tx.archiveRuns([jobIds.a!], now);
          await tx.transitionJobs([jobIds.a!], { from: ["COMPLETED"], to: "READY", reason: "rerun", now });
          await tx.transitionJobs([jobIds.a!], { from: ["READY"], to: "RUNNING", reason: "claimed", now });
          await tx.transitionJobs([jobIds.c!, jobIds.d!], {
            from: ["COMPLETED"],
            to: "WAITING",
            reason: "rerun",
            now,
          });
          return (
            await tx.insertRuns([{ jobId: jobIds.a!, state: "RUNNING", mode: "pull", worker: "local" }], now)
          ).get(jobIds.a!)!;
        });
      const runId = await again();
      const outcome = {
        state: "COMPLETED" as const,
        outputs: null,
        error: null,
        exitCode: 0,
        checkpoint: null,
      };
      const applied = await k.store.transaction((tx) =>
        applyOutcome(tx, runId, { ...outcome, actions: [action], finishedAt: Date.now() }, Date.now()),
      );
      assert.equal(applied.jobState, "COMPLETED");
      assert.deepEqual(await k.edges(flowId), before, "no new job, no new edge");
      assert.deepEqual(Object.keys(await k.jobs(flowId)).sort(), ["a", "c", "d", "x"]);

      const third = await again();
      const job = (await k.store.getJob(jobIds.a!))!;
      const result = await k.store.transaction((tx) =>
        applyActions(tx, { job, runId: third, actions: [action], now: Date.now() }),
      );
      assert.deepEqual(result.skipped, ["x", "d"]);
      assert.deepEqual(result.added, []);
    });

    test("references follow chains of replacements, with their paths, and report loops", async () => {
      await using k = await openKit(d);
      const f = flow("chain");
      for (const n of ["a", "b", "c"]) f.job(n, { sh: "true" });
      f.job("d", { parents: ["a"], sh: "true", inputs: { v: "${{ a.v }}", w: "${{ a }}" } });
      const { jobIds } = await addFlow(k.store, f.build());
      const now = Date.now();
      const done = async (name: string, outputs: JsonObject) =>
        k.store.transaction(async (tx) => {
          await tx.transitionJobs([jobIds[name]!], { from: ["READY"], to: "RUNNING", reason: "t", now });
          await tx.transitionJobs([jobIds[name]!], { from: ["RUNNING"], to: "COMPLETED", reason: "t", now });
          await tx.updateJobs([jobIds[name]!], { outputs }, now);
        });
      await done("a", { $replacedBy: "b", path: "x" });
      const d0 = (await k.store.getJob(jobIds.d!))!;
      await assert.rejects(resolveInputs(k.store, d0), (e: Error) => {
        assert.ok(e instanceof InputsError);
        assert.match(e.message, /reference to "a" \(replaced by "b"\): it is READY, not COMPLETED/);
        return true;
      });
      await done("b", { $replacedBy: "c", path: "y" });
      await done("c", { y: { x: { v: 1 } } });
      assert.deepEqual(await resolveInputs(k.store, d0), { v: 1, w: { v: 1 } });
      await k.store.updateJobs([jobIds.c!], { outputs: { $replacedBy: "a" } }, now);
      await assert.rejects(resolveInputs(k.store, d0), /its replacements form a loop \(a → b → c → a\)/);
    });
  });
}
