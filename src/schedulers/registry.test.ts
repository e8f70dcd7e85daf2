import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { request } from "../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../model/errors.ts";
import { type Resources, SCHEDULER_NAMES } from "../model/resources.ts";
import { getScheduler } from "./registry.ts";
import type { Scheduler } from "./types.ts";

const ALL: Scheduler[] = [
  ...SCHEDULER_NAMES.map((n) => getScheduler(n)),
  getScheduler("pbs", { pbsFlavor: "torque" }),
];

test("getScheduler knows every scheduler name and suggests on a typo", () => {
  for (const name of SCHEDULER_NAMES) assert.equal(getScheduler(name).name, name);
  assert.throws(() => getScheduler("slurmm"), /did you mean "slurm"/);
});

test("every scheduler fills in the whole contract", () => {
  for (const s of ALL) {
    assert.ok(s.jobIdVariable.length > 0, s.name);
    assert.equal(s.arrayIndexVariable === null, !s.supportsArrays, s.name);
    assert.ok(s.accountingDelaySeconds >= 0);
  }
});

/** Values that ask for nothing beyond what any job gets: expressing them needs no line. */
const TRIVIAL: Partial<Record<keyof Resources, unknown>> = {
  nodes: 1,
  processes: 1,
  processesPerNode: 1,
  cpusPerProcess: 1,
  gpus: 0,
  exclusive: false,
};

const resourceValue: Record<string, fc.Arbitrary<unknown>> = {
  nodes: fc.integer({ min: 1, max: 4 }),
  processes: fc.integer({ min: 1, max: 16 }),
  processesPerNode: fc.integer({ min: 1, max: 4 }),
  cpusPerProcess: fc.integer({ min: 1, max: 8 }),
  gpus: fc.integer({ min: 0, max: 4 }),
  memory: fc.integer({ min: 1, max: 100_000 }),
  walltime: fc.integer({ min: 60, max: 10 * 86400 }),
  queue: fc.constantFrom("debug", "gpu", "long"),
  account: fc.constantFrom("proj1", "chem"),
  qos: fc.constantFrom("normal", "high"),
  reservation: fc.constantFrom("R1", "maint"),
  constraint: fc.constantFrom("avx512", "a100"),
  exclusive: fc.boolean(),
  mail: fc.record({
    user: fc.constant("me@example.org"),
    events: fc.subarray(["begin", "end", "fail"] as const, { minLength: 1 }),
  }),
  jobName: fc.constantFrom("a", "my job", "x-1"),
};

/** The directives and the submit command: the shell scheduler expresses its walltime in the latter. */
function render(s: Scheduler, resources: Resources): string[] | ValidationError {
  try {
    const req = request(s.name, resources);
    return [...s.renderDirectives(req), ...s.submitCommand(req).argv];
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
}

test("property: a resource key is expressed or refused by name — never silently dropped", () => {
  const key = fc.constantFrom(...Object.keys(resourceValue));
  fc.assert(
    fc.property(
      fc.constantFrom(...ALL),
      key.chain((k) => resourceValue[k]!.map((v) => [k, v] as const)),
      (s, [k, v]) => {
        const base = render(s, {});
        const withKey = render(s, { [k]: v } as Resources);
        if (withKey instanceof ValidationError) {
          assert.ok(
            withKey.issues.some((i) => i.field?.startsWith(k) || (k === "memory" && i.field === "memory")),
            `${s.name}: error for ${k} does not name it: ${withKey.message}`,
          );
          return;
        }
        assert.ok(!(base instanceof ValidationError));
        if (TRIVIAL[k as keyof Resources] === v) return;
        assert.notDeepEqual(withKey, base, `${s.name} dropped ${k}=${JSON.stringify(v)}`);
      },
    ),
    { numRuns: 600 },
  );
});

test("property: rendering throws nothing but ValidationError, and never emits a line break", () => {
  const anyResources = fc.record(
    Object.fromEntries(Object.entries(resourceValue).map(([k, a]) => [k, a])) as Record<
      string,
      fc.Arbitrary<unknown>
    >,
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.constantFrom(...ALL), anyResources, fc.string(), (s, resources, name) => {
      const r = resources as Resources;
      if (r.nodes !== undefined && r.processesPerNode !== undefined && r.processes !== undefined) return; // schema rejects mismatches
      let lines: string[];
      try {
        lines = s.renderDirectives(request(s.name, { ...r, jobName: name.length > 0 ? name : "x" }));
      } catch (e) {
        if (e instanceof ValidationError) return;
        throw e;
      }
      for (const line of lines) assert.ok(!/[\r\n]/.test(line), `${s.name}: ${JSON.stringify(line)}`);
    }),
    { numRuns: 600 },
  );
});
