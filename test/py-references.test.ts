/**
 * What the jobflow bridge needs from references: onMissingReference "null" (jobflow's
 * OnMissing.NONE), the {"$literal": …} escape, and references to jobs of other flows.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cancelJobs, deleteJobs } from "../src/engine/control.ts";
import { rerunJobs } from "../src/engine/rerun.ts";
import { ValidationError } from "../src/model/errors.ts";
import { ferry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

/** An sh command writing this JSON as the output, as a YAML (JSON) string. */
const OUT = (json: string) => JSON.stringify(`printf '%s' '${json}' > "$FERRY_OUTPUTS"`);

for (const d of dialects()) {
  describe(`references for Python flows on ${d.name}`, { skip: d.skip }, () => {
    test('onMissingReference "null": failed parents and missing paths give null, and the job runs', async () => {
      await using p = await testProject(d);
      // atomate2's elastic fit: some deformations may fail, the fit runs with what there is
      const ids = await p.add(`name: elastic
jobs:
  - {name: d1, sh: ${OUT('{"stress": 1.5}')}}
  - {name: d2, sh: "exit 3"}
  - {name: d3, sh: ${OUT('{"other": 1}')}}
  - name: fit
    parents: [d1, d2, d3]
    onMissingReference: "null"
    inputs: {stresses: ["\${{ d1.stress }}", "\${{ d2.stress }}", "\${{ d3.stress }}"], whole: {$ref: d2}}
    sh: 'printf "%s" "$FERRY_IN_stresses" > "$FERRY_OUTPUTS"'
  - name: strict
    parents: [d2]
    inputs: {s: "\${{ d2.stress }}"}
    sh: "true"
`);
      const s = await p.launch();
      assert.deepEqual([s.completed, s.failed], [3, 1], "d1, d3, fit complete; d2 fails; strict never runs");
      const jobs = await p.jobs();
      assert.equal(jobs.fit!.state, "COMPLETED");
      assert.deepEqual(jobs.fit!.outputs, [1.5, null, null]);
      const run = (await p.store.currentRuns([ids.fit!])).get(ids.fit!)!;
      assert.ok(run, "fit ran");
      assert.equal(
        jobs.strict!.state,
        "WAITING",
        "a job without the option still waits for its failed parent",
      );
      const [flow] = await p.store.flowSummaries({ ids: [jobs.fit!.flowId] });
      assert.equal(flow!.state, "FAILED", "strict is blocked by d2");
    });

    test('onMissingReference "null": cancelled parents release the job, by a user or by a stopChildren action', async () => {
      await using p = await testProject(d);
      const ids = await p.add(`name: stops
jobs:
  - {name: stopper, sh: 'printf "{\\"stopChildren\\": true}" > "$FERRY_ACTION"'}
  - {name: child, parents: [stopper], sh: ${OUT('{"v": 1}')}}
  - {name: after, parents: [child], onMissingReference: "null", inputs: {v: "\${{ child.v }}"}, sh: 'cp "$FERRY_INPUTS" "$FERRY_OUTPUTS"'}
  - {name: held, sh: "true"}
  - {name: waits, parents: [held], onMissingReference: "null", inputs: {h: "\${{ held }}"}, sh: "true"}
`);
      await cancelJobs(p.store, [ids.held!]);
      assert.equal((await p.job(ids.waits!)).state, "READY", "cancelling a parent releases the job at once");
      await p.launch();
      const jobs = await p.jobs();
      assert.equal(jobs.child!.state, "CANCELLED");
      assert.equal(jobs.after!.state, "COMPLETED");
      assert.deepEqual(jobs.after!.outputs, { v: null }, "the reference to the cancelled job gave null");
      assert.equal(jobs.waits!.state, "COMPLETED");
    });

    test("{$literal: …} passes strings with ${{ and objects with $ref through as data", async () => {
      await using p = await testProject(d);
      const ids = await p.add(`name: literal
jobs:
  - name: a
    inputs:
      template: {$literal: "run-\${{ not.a.reference }}"}
      doc: {$literal: {$ref: "nobody", path: "x", extra: [1, 2]}}
      nested: [{$literal: {$literal: 1}}]
    sh: 'cp "$FERRY_INPUTS" "$FERRY_OUTPUTS"'
`);
      await p.launch();
      assert.deepEqual((await p.job(ids.a!)).outputs, {
        template: "run-${{ not.a.reference }}",
        doc: { $ref: "nobody", path: "x", extra: [1, 2] },
        nested: [{ $literal: 1 }],
      });
      await assert.rejects(
        p.add("name: bad\njobs:\n  - {name: a, sh: 'true', inputs: {x: {$literal: 1, other: 2}}}\n"),
        (e: Error) =>
          e instanceof ValidationError &&
          /a literal takes only "\$literal", not "other"/.test(
            e.message + e.issues.map((i) => i.message).join(),
          ),
      );
    });

    test("a reference to a job of another flow makes it a parent; reruns and deletes follow the edge", async () => {
      await using p = await testProject(d);
      const first = await p.add(`name: producer\njobs:\n  - {name: relax, sh: ${OUT('{"energy": -3.0}')}}\n`);
      const producerFlow = (await p.job(first.relax!)).flowId;
      const second = await p.add(`name: consumer
jobs:
  - name: use
    inputs: {e: {$ref: relax, flow: ${producerFlow}, path: energy}, t: "x"}
    sh: 'printf "{\\"e\\": %s}" "$FERRY_IN_e" > "$FERRY_OUTPUTS"'
`);
      assert.equal((await p.job(second.use!)).state, "WAITING", "it waits for the other flow's job");
      assert.deepEqual(await p.store.parentsOf([second.use!]), new Map([[second.use!, [first.relax!]]]));
      await p.launch();
      assert.equal(JSON.stringify((await p.job(second.use!)).outputs), '{"e":-3.0}');

      // added after the parent completed: READY at once
      const third = await p.add(
        `name: late\njobs:\n  - {name: use, inputs: {e: {$ref: relax, flow: ${producerFlow}}}, sh: "true"}\n`,
      );
      assert.equal((await p.job(third.use!)).state, "READY");

      await rerunJobs(p.store, [first.relax!]);
      assert.equal(
        (await p.job(second.use!)).state,
        "WAITING",
        "rerunning the parent resets the child in the other flow",
      );

      const removed = await deleteJobs(p.store, [first.relax!]);
      assert.deepEqual(
        removed.descendants.map((j) => j.id).sort(),
        [second.use!, third.use!].sort(),
        "deleting the parent deletes its children in other flows, and says so",
      );
      assert.equal(await p.store.countJobs({}), 0);
    });

    test("jobs added by an action may reference other flows; input edits may not", async () => {
      await using p = await testProject(d);
      const first = await p.add(`name: producer\njobs:\n  - {name: relax, sh: ${OUT('{"energy": -3.0}')}}\n`);
      await p.launch();
      const flow = (await p.job(first.relax!)).flowId;
      const action = (a: unknown) => JSON.stringify(`printf '%s' '${JSON.stringify(a)}' > "$FERRY_ACTION"`);
      const added = {
        addJobs: [
          {
            name: "more",
            inputs: { e: { $ref: "relax", flow, path: "energy" } },
            sh: 'cp "$FERRY_INPUTS" "$FERRY_OUTPUTS"',
          },
        ],
      };
      const edit = { updateChildren: { inputs: { e: { $ref: "relax", flow } } } };
      const ids = await p.add(`name: dynamic
jobs:
  - {name: grow, sh: ${action(added)}}
  - {name: edits, sh: ${action(edit)}}
  - {name: child, parents: [edits], sh: "true"}
`);
      await p.launch();
      const jobs = await p.jobs();
      assert.equal(jobs.grow!.state, "COMPLETED");
      assert.equal(JSON.stringify(jobs.more!.outputs), '{"e":-3.0}');
      assert.ok((await p.store.parentsOf([jobs.more!.id])).get(jobs.more!.id)!.includes(first.relax!));
      assert.equal(jobs.edits!.state, "FAILED");
      const err = (await p.store.currentRuns([ids.edits!])).get(ids.edits!)!.error!;
      assert.match(err.message, /an input edit cannot reference "relax" of flow \d+ \(another flow\)/);
    });

    test("a reference to a job of another flow that is not there: ferry add exits 3 and adds nothing", async () => {
      await using p = await testProject(d);
      p.file(
        "flow.json",
        JSON.stringify({
          name: "dangling",
          jobs: [{ name: "use", sh: "true", inputs: { e: { $ref: "relax", flow: 999 } } }],
        }),
      );
      const r = await ferry(["add", "flow.json"], { cwd: p.dir });
      assert.equal(r.code, 3, r.stderr);
      assert.match(
        r.stderr,
        /job "use", field "inputs\.e": reference to job "relax" of flow 999: no such job/,
      );
      assert.equal((await p.store.flowSummaries()).length, 0);
    });
  });
}
