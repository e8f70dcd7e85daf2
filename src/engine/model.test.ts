/**
 * Model-based property test: random DAGs under random sequences of complete, fail, rerun,
 * pause, resume, cancel and reignite. After every step the database must agree with a small
 * model, and these invariants must hold:
 *  - a WAITING/READY job is READY exactly when every parent is COMPLETED (or FAILED and the
 *    job accepts failed parents); its count of unfinished parents is exact;
 *  - the flow state is the one derived from the jobs (model/flow-state.ts);
 *  - no run record is ever lost (every run ever made is still there, archived or not).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { dialects } from "../../test/helpers/stores.ts";
import { flow } from "../flow/builder.ts";
import { deriveFlowState } from "../model/flow-state.ts";
import type { JobState } from "../model/states.ts";
import type { Store } from "../store/store.ts";
import { addFlow } from "./add-flow.ts";
import { cancelJobs, pauseJobs, reigniteJobs, resumeJobs } from "./control.ts";
import { applyOutcome } from "./outcome.ts";
import { rerunJobs } from "./rerun.ts";

type Op = "complete" | "fail" | "rerun" | "pause" | "resume" | "cancel" | "reignite";
const OPS: Op[] = ["complete", "fail", "rerun", "pause", "resume", "cancel", "reignite"];

interface Dag {
  n: number;
  parents: number[][];
  allowFailed: boolean[];
}

const dagArb = fc.integer({ min: 2, max: 8 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    parents: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.subarray(
          Array.from({ length: i }, (_, k) => k),
          { maxLength: Math.min(3, i) },
        ),
      ),
    ),
    allowFailed: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  }),
) as fc.Arbitrary<Dag>;

class Model {
  readonly dag: Dag;
  readonly state: JobState[];
  runs = 0;
  constructor(dag: Dag) {
    this.dag = dag;
    this.state = dag.parents.map((p) => (p.length === 0 ? "READY" : "WAITING"));
  }
  satisfied(child: number, parent: number): boolean {
    const s = this.state[parent];
    return s === "COMPLETED" || (s === "FAILED" && this.dag.allowFailed[child] === true);
  }
  ready(j: number): boolean {
    return this.dag.parents[j]!.every((p) => this.satisfied(j, p));
  }
  children(j: number): number[] {
    return this.dag.parents.flatMap((ps, c) => (ps.includes(j) ? [c] : []));
  }
  descendants(j: number): number[] {
    const out = new Set<number>();
    const walk = (x: number) => {
      for (const c of this.children(x)) {
        if (out.has(c)) continue;
        out.add(c);
        walk(c);
      }
    };
    walk(j);
    return [...out];
  }
  promote(ids: number[]) {
    for (const c of ids) if (this.state[c] === "WAITING" && this.ready(c)) this.state[c] = "READY";
  }
  apply(op: Op, j: number): void {
    const s = this.state[j]!;
    switch (op) {
      case "complete":
      case "fail":
        if (s !== "READY") return;
        this.runs++;
        this.state[j] = op === "complete" ? "COMPLETED" : "FAILED";
        this.promote(this.children(j));
        return;
      case "pause":
        if (s === "WAITING" || s === "READY") this.state[j] = "PAUSED";
        return;
      case "resume":
      case "reignite":
        if (s === (op === "resume" ? "PAUSED" : "CANCELLED"))
          this.state[j] = this.ready(j) ? "READY" : "WAITING";
        return;
      case "cancel":
        if (s !== "COMPLETED" && s !== "CANCELLED" && s !== "ARCHIVED") {
          this.state[j] = "CANCELLED";
          for (const c of this.children(j))
            if (this.state[c] === "READY" && !this.ready(c)) this.state[c] = "WAITING";
        }
        return;
      case "rerun": {
        for (const dsc of this.descendants(j))
          if (this.state[dsc] !== "PAUSED" && this.state[dsc] !== "CANCELLED") this.state[dsc] = "WAITING";
        this.state[j] = "WAITING";
        this.state[j] = this.ready(j) ? "READY" : "WAITING";
      }
    }
  }
}

async function finish(store: Store, jobId: number, state: "COMPLETED" | "FAILED"): Promise<void> {
  const now = Date.now();
  const [claimed] = await store.transaction((tx) =>
    tx.claimReady({
      limit: 1,
      worker: null,
      categories: [],
      to: "RUNNING",
      mode: "pull",
      leaseOwner: "m",
      leaseExpiresAt: now + 1e6,
      host: "h",
      jobIds: [jobId],
      now,
    }),
  );
  assert.ok(claimed, `job ${jobId} should be claimable`);
  await store.transaction((tx) =>
    applyOutcome(
      tx,
      claimed.runId,
      {
        state,
        outputs: state === "COMPLETED" ? { v: jobId } : null,
        actions: [],
        error: null,
        exitCode: 0,
        checkpoint: null,
        finishedAt: now,
      },
      now,
    ),
  );
}

async function act(store: Store, op: Op, id: number, model: Model, j: number): Promise<void> {
  switch (op) {
    case "complete":
    case "fail":
      if (model.state[j] === "READY") await finish(store, id, op === "complete" ? "COMPLETED" : "FAILED");
      return;
    case "rerun":
      await rerunJobs(store, [id]);
      return;
    case "pause":
      await pauseJobs(store, [id]);
      return;
    case "resume":
      await resumeJobs(store, [id]);
      return;
    case "cancel":
      await cancelJobs(store, [id]);
      return;
    case "reignite":
      await reigniteJobs(store, [id]);
  }
}

async function check(store: Store, flowId: number, ids: number[], model: Model, step: string): Promise<void> {
  const jobs = new Map(
    (await store.findJobs({ flowIds: [flowId], includeArchived: true })).map((x) => [x.id, x]),
  );
  const real = ids.map((id) => jobs.get(id)!.state);
  assert.deepEqual(real, model.state, `states after ${step}`);
  for (let j = 0; j < ids.length; j++) {
    const expected = model.dag.parents[j]!.filter((p) => !model.satisfied(j, p)).length;
    assert.equal(
      jobs.get(ids[j]!)!.unfinishedParents,
      expected,
      `unfinished parents of job ${j} after ${step}`,
    );
    if (real[j] === "WAITING" || real[j] === "READY")
      assert.equal(real[j] === "READY", model.ready(j), `READY iff parents done (job ${j}, ${step})`);
  }
  const counts: Partial<Record<JobState, number>> = {};
  for (const s of model.state) counts[s] = (counts[s] ?? 0) + 1;
  const blocking = model.state.filter(
    (s, j) =>
      s === "FAILED" &&
      (model.children(j).length === 0 || model.children(j).some((c) => !model.dag.allowFailed[c])),
  ).length;
  const [summary] = await store.flowSummaries({ ids: [flowId] });
  assert.equal(summary!.state, deriveFlowState(counts, blocking), `flow state after ${step}`);
  const runs = await store.runsOfJobs(ids, { includeArchived: true });
  assert.equal(runs.length, model.runs, `no run lost after ${step}`);
}

for (const d of dialects()) {
  describe(`state machine model on ${d.name}`, { skip: d.skip }, () => {
    test("random DAGs under random operations keep the invariants", async () => {
      const seed = Number(process.env.FERRY_TEST_SEED ?? Date.now() % 1e9);
      await fc.assert(
        fc.asyncProperty(
          dagArb.chain((dag) =>
            fc.record({
              dag: fc.constant(dag),
              steps: fc.array(fc.tuple(fc.constantFrom(...OPS), fc.integer({ min: 0, max: dag.n - 1 })), {
                minLength: 1,
                maxLength: 30,
              }),
            }),
          ),
          async ({ dag, steps }) => {
            await using t = await d.open();
            const f = flow("model");
            for (let j = 0; j < dag.n; j++) {
              f.job(`j${j}`, {
                sh: "true",
                parents: dag.parents[j]!.map((p) => `j${p}`),
                allowFailedParents: dag.allowFailed[j]!,
              });
            }
            const added = await addFlow(t.store, f.build());
            const ids = Array.from({ length: dag.n }, (_, j) => added.jobIds[`j${j}`]!);
            const model = new Model(dag);
            await check(t.store, added.flowId, ids, model, "add");
            for (const [i, [op, j]] of steps.entries()) {
              await act(t.store, op, ids[j]!, model, j);
              model.apply(op, j);
              await check(t.store, added.flowId, ids, model, `step ${i}: ${op} j${j}`);
            }
          },
        ),
        { numRuns: Number(process.env.FERRY_TEST_RUNS ?? (d.name === "sqlite" ? 60 : 25)), seed },
      );
    });
  });
}
