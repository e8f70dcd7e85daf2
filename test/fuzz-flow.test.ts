/**
 * `ferry add` on bad flow files: exit 0 or 3, never 1 or 5, and nothing written on 3 — on both
 * dialects (issue #8: of 2,800 fuzzed flow files, 69 exited 1 or 5). First the defects found
 * then, each through the real CLI; then arbitrary documents (fast-check, fixed seed, printed on
 * failure) through the same `main` the CLI runs, in process.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { main } from "../src/cli/main.ts";
import { ferry } from "./helpers/cli.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const SEED = Number(process.env.FERRY_FUZZ_SEED ?? 20_240_808);

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
};
const one = (job: Record<string, unknown>, flow: Record<string, unknown> = {}) =>
  JSON.stringify({ name: "f", jobs: [{ name: "a", sh: "true", ...job }], ...flow });

/** name → [file name, content, what the error must say]. */
const DEFECTS: Record<string, [string, string, RegExp]> = {
  "inputs nested 1,500 levels": ["deep.json", one({ inputs: { x: deep(1500) } }), /nested too deep/],
  "metadata nested 1,500 levels": ["meta.json", one({}, { metadata: { m: deep(1500) } }), /nested too deep/],
  "a YAML alias bomb": [
    "bomb.yaml",
    `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
name: f
jobs: [{name: a, sh: "true", inputs: {x: *e}}]
`,
    /alias/i,
  ],
  "a parent listed twice": [
    "dup.yaml",
    "name: f\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, sh: 'true', parents: [a, a]}\n",
    /parent "a" is listed twice/,
  ],
  "a NUL in an input": ["nul.json", one({ inputs: { x: "a\u0000b" } }), /field "inputs\.x".*NUL/],
  "a lone surrogate in metadata": [
    "sur.json",
    one({ metadata: { k: "\ud800" } }),
    /field "metadata\.k".*unpaired UTF-16 surrogate/,
  ],
  "a NUL in a key": ["nulkey.json", one({ inputs: { "a\u0000": 1 } }), /the key contains a NUL/],
  "a 250-character job name": [
    "long.json",
    JSON.stringify({ name: "f", jobs: [{ name: "n".repeat(250), sh: "true" }] }),
    /at most 200 characters/,
  ],
  "a 200 KiB task env value": [
    "env.json",
    one({ sh: undefined, tasks: [{ sh: "true", env: { BIG: "x".repeat(200 * 1024) } }] }),
    /field "tasks\[0\]\.env\.BIG".*MAX_ARG_STRLEN/,
  ],
  "a 200 KiB sh command": ["cmd.json", one({ sh: `echo ${"x".repeat(200 * 1024)}` }), /MAX_ARG_STRLEN/],
};

async function snapshot(p: TestProject): Promise<string> {
  const flows = await p.store.flowSummaries();
  return JSON.stringify({ flows, jobs: await p.store.countJobs({ includeArchived: true }) });
}

/** `main` as the CLI runs it, with its output kept out of the test's. */
async function addInProcess(p: TestProject, file: string): Promise<number> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = (() => true) as typeof out;
  process.stderr.write = (() => true) as typeof err;
  try {
    return await main(["--project", join(p.dir, "ferry.yaml"), "add", file]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Mostly what a user writes, now and then a hostile corner (so both exits are exercised). */
const maybe = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: hostile });

const plainText = fc.string({ maxLength: 8 });
const hostileText = fc.oneof(
  fc.constantFrom("a\u0000b", "\ud800", "x\udfffy", "\u001b[2J", "é😀", ""),
  fc.string({ unit: "binary", maxLength: 6 }),
);
const text = maybe(plainText, hostileText);
const json: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(text, tie("v"), { maxKeys: 3 }),
  ),
})).v;
const value = maybe(json, fc.constantFrom(deep(60), deep(70), deep(1500)));
const names = ["a", "b", "c", "d"];
const jobName = (i: number) =>
  maybe(fc.constant(names[i]!), fc.oneof(hostileText, fc.constant("n".repeat(201)), fc.constant("x.y")));
const task = fc.record(
  {
    sh: maybe(fc.constant("true"), hostileText),
    env: fc.dictionary(
      maybe(fc.constantFrom("K", "L"), fc.constantFrom("1x", "a b")),
      maybe(plainText, fc.constant("v".repeat(130 * 1024))),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: ["sh"] },
);
const job = (i: number) =>
  fc.record(
    {
      name: jobName(i),
      parents: maybe(
        fc.subarray(names.slice(0, i)),
        fc.array(fc.constantFrom(...names, "zz"), { maxLength: 3 }),
      ),
      inputs: maybe(fc.dictionary(plainText, value, { maxKeys: 3 }), value),
      metadata: maybe(fc.dictionary(plainText, value, { maxKeys: 2 }), value),
      priority: maybe(fc.integer(), text),
      sh: maybe(fc.constant("true"), fc.oneof(hostileText, fc.constant(`echo ${"x".repeat(140 * 1024)}`))),
      tasks: fc.array(task, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ["name"] },
  );
const flowDoc = fc
  .tuple(
    maybe(fc.constant("f"), text),
    fc.integer({ min: 1, max: 4 }),
    maybe(fc.dictionary(plainText, value), value),
  )
  .chain(([name, n, metadata]) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => job(i))).map((jobs) => ({
      name,
      metadata,
      // a job gives sh or tasks, not both: keep the one the generator chose first
      jobs: jobs.map((j) => {
        const { sh, tasks, ...rest } = j as Record<string, unknown>;
        return sh !== undefined
          ? { ...rest, sh }
          : tasks !== undefined
            ? { ...rest, tasks }
            : { ...rest, sh: "true" };
      }),
    })),
  );
/** YAML text of a document; JSON (which is YAML too) when the yaml package cannot nest that deep. */
function toYaml(d: unknown): string {
  try {
    return stringify(d, { aliasDuplicateObjects: true });
  } catch {
    return JSON.stringify(d);
  }
}
const fileArb = fc.oneof(
  flowDoc.map((d) => ({ name: "flow.json", text: JSON.stringify(d) ?? "null" })),
  flowDoc.map((d) => ({ name: "flow.yaml", text: toYaml(d) })),
  fc.tuple(flowDoc, fc.nat(), fc.string({ maxLength: 4 })).map(([d, at, junk]) => {
    const t = toYaml(d);
    const i = at % (t.length + 1);
    return { name: "flow.yaml", text: t.slice(0, i) + junk + t.slice(i) };
  }),
);

for (const d of dialects()) {
  describe(`ferry add on bad flow files, ${d.name}`, { skip: d.skip }, () => {
    for (const [what, [name, content, message]] of Object.entries(DEFECTS)) {
      test(`${what}: exit 3 naming the problem, nothing written`, async () => {
        await using p = await testProject(d);
        await p.add("name: before\njobs:\n  - {name: x, sh: 'true'}\n");
        const before = await snapshot(p);
        const file = p.file(name, content);
        const r = await ferry(["--project", join(p.dir, "ferry.yaml"), "add", file], { cwd: p.dir });
        assert.equal(r.code, 3, `exit ${r.code}: ${r.stderr.slice(0, 2000)}`);
        assert.match(r.stderr, message);
        assert.equal(await snapshot(p), before, "the database changed");
      });
    }

    test("arbitrary flow documents exit 0 or 3, and 3 leaves the database as it was", async (t) => {
      await using p = await testProject(d);
      await p.add("name: before\njobs:\n  - {name: x, sh: 'true'}\n");
      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fileArb, async (f) => {
          const path = join(p.dir, f.name);
          writeFileSync(path, f.text);
          const before = await snapshot(p);
          const code = await addInProcess(p, path);
          assert.ok(code === 0 || code === 3, `exit ${code} for ${JSON.stringify(f.text.slice(0, 300))}`);
          if (code === 3) {
            refused++;
            assert.equal(await snapshot(p), before, "a refused add changed the database");
          } else accepted++;
        }),
        { seed: SEED, numRuns: 150, endOnFailure: true },
      );
      assert.ok(refused > 10 && accepted > 10, `only ${accepted} accepted and ${refused} refused`);
      t.diagnostic(`${accepted} accepted, ${refused} refused (seed ${SEED})`);
    });
  });
}
