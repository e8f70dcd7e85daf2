import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { SCHEDULER_NAMES } from "../../model/resources.ts";
import { getScheduler } from "../registry.ts";
import type { Scheduler } from "../types.ts";
import { checkRunNames, runJobName } from "./names.ts";

const ALL: Scheduler[] = [
  ...SCHEDULER_NAMES.map((n) => getScheduler(n)),
  getScheduler("pbs", { pbsFlavor: "torque" }),
];

test("property: a run name keeps its run id within every scheduler's limit, and reaches the job unchanged", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ALL),
      fc.string({ maxLength: 400 }),
      fc.integer({ min: 1, max: 2 ** 40 }),
      (s, base, runId) => {
        const name = runJobName(s.jobNameLimits, base, runId, "/scratch/runs");
        assert.ok(name.length <= s.jobNameLimits.maxLength, `${s.name}: ${name.length} characters`);
        assert.match(name, new RegExp(`-r${runId}-[0-9a-f]{4}$`));
        assert.doesNotThrow(() => checkRunNames([name]));
        if (s.jobNameLimits.startWithLetter) assert.match(name, /^[A-Za-z]/);
        // the name the scheduler is given is the name it shows: rendering changes nothing
        const req = request(s.name, { jobName: name });
        const rendered = [...s.renderDirectives(req), ...s.submitCommand(req).argv].join("\n");
        assert.ok(rendered.includes(name), `${s.name} changed ${name}`);
      },
    ),
    { numRuns: 300 },
  );
});

test("two projects number their runs alike: their run names still differ", () => {
  const limits = { maxLength: 200, startWithLetter: false };
  assert.notEqual(
    runJobName(limits, "ferry-a", 5, "/home/u/p1/runs"),
    runJobName(limits, "ferry-a", 5, "/home/u/p2/runs"),
  );
  assert.equal(runJobName(limits, "ferry-a", 5, "/x"), runJobName(limits, "ferry-a", 5, "/x"));
});

test("name lookups take run names only, for every scheduler", () => {
  for (const s of ALL) {
    assert.throws(() => s.nameLookupCommand(["a,b"]), ValidationError, s.name);
    assert.throws(() => s.nameLookupCommand(["a b"]), ValidationError, s.name);
    assert.throws(() => s.nameLookupCommand([]), ValidationError, s.name);
    assert.ok(s.nameLookupCommand(["ferry-a-r1-0000"]).argv.length > 0);
  }
  assert.deepEqual(getScheduler("slurm").nameLookupCommand(["ferry-a-r1-0000", "ferry-b-r2-0000"]).argv, [
    "squeue",
    "--noheader",
    "--states=all",
    "--name=ferry-a-r1-0000,ferry-b-r2-0000",
    "--Format=JobArrayID:|,Name:|,State:|,exit_code:|,BatchHost:|,Reason:|",
  ]);
});
