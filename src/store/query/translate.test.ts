import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dialects, type TestStore } from "../../../test/helpers/stores.ts";
import { ValidationError } from "../../model/errors.ts";
import { postgresDialect } from "../postgres/dialect.ts";
import type { Dialect } from "../sql.ts";
import { sqliteDialect } from "../sqlite/dialect.ts";
import { newJob, seedJobs } from "./fixtures.test-support.ts";
import { translateJobQuery, translateRunQuery } from "./translate.ts";

const JAN = Date.UTC(2024, 0, 1);
const JUN = Date.UTC(2024, 5, 1);

/** Five jobs covering the cases the documentation promises (docs/queries.md). */
async function seed(t: TestStore): Promise<Map<string, number>> {
  const ids = await seedJobs(
    t.store,
    [
      {
        job: newJob("relax-300", {
          state: "COMPLETED",
          inputs: { temperature: 300, structure: "Si" },
          metadata: { project: "alpha" },
          worker: "cluster-a",
          priority: 1,
        }),
        outputs: { energy: { total: -10.5 }, values: [1, 5, 9], tags: ["gpu", "big"] },
      },
      {
        job: newJob("relax-250", {
          state: "FAILED",
          inputs: { temperature: 250, structure: "Ge" },
          metadata: { project: "beta" },
          worker: "cluster-b",
        }),
      },
      {
        job: newJob("relax-400", {
          state: "FAILED",
          inputs: { temperature: "400" },
          metadata: { project: "gamma", tags: ["cpu"] },
        }),
        createdAt: JUN,
      },
      {
        job: newJob("static", {
          inputs: { temperature: 300.5, nested: { deep: { flag: true } } },
          priority: 5,
          allowFailedParents: true,
          category: "small",
        }),
        outputs: { energy: null, values: [] },
      },
      {
        job: newJob("obj-index", {
          state: "WAITING",
          inputs: { values: { "0": 7 }, big: 2 ** 62 },
          metadata: { project: null },
        }),
        storedData: { note: "it's" },
      },
    ],
    JAN,
  );
  const id = (name: string) => ids.get(name)!;
  await t.store.transaction(async (tx) => {
    const segfault = {
      message: "task 0 failed",
      stack: "Traceback (most recent call last):\n  ...\nSegmentation fault (core dumped)",
      exitCode: 139,
      signal: "SIGSEGV",
      task: 0,
      reason: "task-failed" as const,
    };
    const first = await tx.insertRuns(
      ["relax-300", "relax-250", "relax-400"].map((n) => ({
        jobId: id(n),
        state: "RUNNING" as const,
        mode: "pull" as const,
        worker: "w",
      })),
      JAN,
    );
    await tx.updateRuns([first.get(id("relax-300"))!], { state: "COMPLETED", exitCode: 0 }, JAN);
    await tx.updateRuns([first.get(id("relax-250"))!], { state: "FAILED", error: segfault }, JAN);
    await tx.updateRuns([first.get(id("relax-400"))!], { state: "FAILED", error: segfault }, JAN);
    // relax-400 was retried: its current run failed differently, and queries see the current run
    const second = await tx.insertRuns(
      [{ jobId: id("relax-400"), state: "RUNNING", mode: "pull", worker: "w" }],
      JUN,
    );
    await tx.updateRuns(
      [second.get(id("relax-400"))!],
      { state: "FAILED", error: { ...segfault, stack: "ValueError: bad input", exitCode: 1, signal: null } },
      JUN,
    );
  });
  return ids;
}

const ALL = ["obj-index", "relax-250", "relax-300", "relax-400", "static"];

/** [query, names of the jobs it selects]. */
const JOB_EXAMPLES: [unknown, string[]][] = [
  [{}, ALL],
  [{ "inputs.temperature": { $gte: 300 } }, ["relax-300", "static"]],
  [{ "inputs.temperature": { $gt: 250, $lt: 301 } }, ["relax-300", "static"]],
  [{ "inputs.temperature": 400 }, []],
  [{ "inputs.temperature": "400" }, ["relax-400"]],
  [{ "inputs.temperature": { $gt: "3" } }, ["relax-400"]],
  [{ "metadata.project": { $in: ["alpha", "beta"] } }, ["relax-250", "relax-300"]],
  [{ "metadata.project": { $nin: ["alpha"] } }, ["obj-index", "relax-250", "relax-400", "static"]],
  [{ "metadata.project": null }, ["obj-index", "static"]],
  [{ "outputs.energy": { $exists: false } }, ["obj-index", "relax-250", "relax-400"]],
  [{ "outputs.energy": null }, ["obj-index", "relax-250", "relax-400", "static"]],
  [{ "outputs.energy": { $ne: null } }, ["relax-300"]],
  [{ "outputs.energy.total": { $lt: 0 } }, ["relax-300"]],
  [{ outputs: { $exists: false } }, ["obj-index", "relax-250", "relax-400"]],
  [{ "outputs.tags": "gpu" }, ["relax-300"]],
  [{ "outputs.values": { $gt: 8 } }, ["relax-300"]],
  [{ "outputs.values": { $gt: 6, $lt: 2 } }, ["relax-300"]],
  [{ "outputs.values": { $gt: 9 } }, []],
  [{ "inputs.temperature": { $regex: "^3" } }, []],
  [{ "outputs.values.0": 1 }, ["relax-300"]],
  [{ "outputs.values.0": { $exists: true } }, ["relax-300"]],
  [{ "inputs.values.0": { $exists: true } }, []],
  [{ "inputs.big": 2 ** 62 }, ["obj-index"]],
  [{ "inputs.big": { $gt: 2 ** 62 } }, []],
  [{ "metadata.tags": { $ne: "cpu" } }, ["obj-index", "relax-250", "relax-300", "static"]],
  [{ "inputs.nested.deep.flag": true }, ["static"]],
  [{ "storedData.note": "it's" }, ["obj-index"]],
  [{ name: { $regex: "^relax-[0-9]+$" } }, ["relax-250", "relax-300", "relax-400"]],
  [{ name: { $not: { $regex: "^relax" } } }, ["obj-index", "static"]],
  [{ "inputs.structure": { $regex: "^si$", $options: "i" } }, ["relax-300"]],
  [{ $or: [{ state: "FAILED" }, { priority: { $gt: 2 } }] }, ["relax-250", "relax-400", "static"]],
  [{ $not: { state: "FAILED" } }, ["obj-index", "relax-300", "static"]],
  [{ state: { $nin: ["FAILED", "COMPLETED"] } }, ["obj-index", "static"]],
  [{ allowFailedParents: true }, ["static"]],
  [{ allowFailedParents: { $ne: true } }, ["obj-index", "relax-250", "relax-300", "relax-400"]],
  [{ worker: null }, ["obj-index", "relax-400", "static"]],
  [{ worker: { $exists: true }, name: { $gte: "relax-3" } }, ["relax-300"]],
  [{ category: { $in: ["small", null] } }, ALL],
  [{ createdAt: { $gte: "2024-03-01" } }, ["relax-400"]],
  [{ createdAt: { $lt: JUN } }, ["obj-index", "relax-250", "relax-300", "static"]],
  [{ "inputs.x": "'; DROP TABLE jobs; --" }, []],
];

/** [query, names of the jobs whose current run it matches]. */
const RUN_EXAMPLES: [unknown, string[]][] = [
  [{ "error.stack": { $regex: "Segmentation fault" } }, ["relax-250"]],
  [{ "error.stack": { $regex: "segmentation FAULT", $options: "i" } }, ["relax-250"]],
  [{ "error.stack": { $regex: "^Segmentation", $options: "m" } }, ["relax-250"]],
  [{ "error.stack": { $regex: "^Segmentation" } }, []],
  [{ state: "FAILED", "error.exitCode": 139 }, ["relax-250"]],
  [{ "error.reason": { $in: ["task-failed"] } }, ["relax-250", "relax-400"]],
  [{ error: { $exists: false } }, ["relax-300"]],
  [{ "error.signal": null }, ["relax-300", "relax-400"]],
  [{ exitCode: 0 }, ["relax-300"]],
  [{ attempt: { $gte: 2 } }, ["relax-400"]],
];

function dialectOf(t: TestStore): Dialect {
  return t.store.dialect === "sqlite" ? sqliteDialect : postgresDialect;
}

for (const d of dialects()) {
  // One store per dialect: every example only reads the same seeded rows.
  describe(`query translation on ${d.name}`, { skip: d.skip }, () => {
    let t: TestStore;
    let names: Map<number, string>;
    before(async () => {
      t = await d.open();
      names = new Map([...(await seed(t)).entries()].map(([n, id]) => [id, n]));
    });
    after(async () => {
      await t?.[Symbol.asyncDispose]();
    });

    for (const [query, expected] of JOB_EXAMPLES) {
      test(`jobs ${JSON.stringify(query)}`, async () => {
        const jobs = await t.store.findJobs({
          where: translateJobQuery(dialectOf(t), query),
          includeArchived: true,
        });
        assert.deepEqual(jobs.map((j) => j.name).sort(), expected);
      });
    }

    for (const [query, expected] of RUN_EXAMPLES) {
      test(`runs ${JSON.stringify(query)}`, async () => {
        const ids = (await t.store.findJobStates({ runQuery: query, includeArchived: true })).map(
          (j) => j.id,
        );
        assert.deepEqual(ids.map((id) => names.get(id)).sort(), expected);
      });
    }

    test("the flow field is the flow id", async () => {
      const [job] = await t.store.findJobs({ ids: [[...names.keys()][0]!] });
      const jobs = await t.store.findJobs({ where: translateJobQuery(dialectOf(t), { flow: job!.flowId }) });
      assert.equal(jobs.length, ALL.length);
    });
  });
}

describe("query translation: SQL text", () => {
  test("user values and patterns are parameters, never SQL text", () => {
    const evil = "x'); DROP TABLE jobs; --";
    for (const dialect of [sqliteDialect, postgresDialect]) {
      const f = translateJobQuery(dialect, {
        "inputs.a": evil,
        name: { $regex: evil.replace("(", "\\(").replace(")", "\\)") },
        "metadata.b": { $in: [evil, 1, true, null] },
      });
      assert.ok(!f.sql.includes("DROP"), f.sql);
      assert.equal(f.sql.split("?").length - 1, f.params.length, "one parameter per placeholder");
      assert.ok(f.params.includes(evil));
    }
  });

  test("strings compare byte-wise on PostgreSQL whatever the database locale", () => {
    const f = translateJobQuery(postgresDialect, { name: { $gt: "a" }, "inputs.s": { $lt: "b" } });
    assert.equal(f.sql.split('COLLATE "C"').length - 1, 3, f.sql);
  });

  test("an invalid query is a ValidationError before any SQL is built", () => {
    assert.throws(
      () => translateRunQuery(sqliteDialect, { "error.stack": { $where: "1" } }),
      ValidationError,
    );
  });
});
