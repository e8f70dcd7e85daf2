/**
 * Schema 4 (label, per-job env and preRun, onMissingReference) on a database made before it:
 * the columns are added, existing jobs keep their old behaviour, new jobs get the options.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addFlow } from "../src/engine/add-flow.ts";
import { flow } from "../src/flow/builder.ts";
import { flowSpecFromObject } from "../src/flow/parse.ts";
import { openStore } from "../src/store/open.ts";
import { dialects } from "./helpers/stores.ts";

for (const d of dialects()) {
  describe(`schema 4 on ${d.name}`, { skip: d.skip }, () => {
    test("a database from before schema 4 gets the job options; its jobs keep the defaults", async () => {
      const { target, dispose } = await d.newTarget();
      try {
        const old = await openStore(target);
        const f = flow("old");
        f.job("a", { sh: "true" });
        const { jobIds } = await addFlow(old, f.build());
        // what a ferry before schema 4 left behind: no such columns, no migration row 4
        for (const c of ["label", "env", "pre_run", "on_missing_reference"])
          await old.db.exec(`ALTER TABLE jobs DROP COLUMN ${c}`);
        await old.db.run("DELETE FROM ferry_migrations WHERE version = 4");
        await old.close();

        await using store = await openStore(target);
        const a = (await store.getJob(jobIds.a!))!;
        assert.deepEqual(
          [a.state, a.label, a.env, a.preRun, a.onMissingReference],
          ["READY", null, {}, null, "fail"],
        );
        const spec = flowSpecFromObject(
          {
            name: "new",
            jobs: [
              {
                name: "b",
                sh: "true",
                label: "relax Si",
                env: { OMP_NUM_THREADS: "4" },
                preRun: "module load vasp",
                onMissingReference: "null",
              },
            ],
          },
          { baseDir: "/" },
        );
        const added = await addFlow(store, spec);
        const b = (await store.getJob(added.jobIds.b!))!;
        assert.deepEqual(
          [b.label, b.env, b.preRun, b.onMissingReference],
          ["relax Si", { OMP_NUM_THREADS: "4" }, "module load vasp", "null"],
        );
      } finally {
        await dispose();
      }
    });
  });
}
