/**
 * Selectors on hostile input (issue #8): a glob either means the same on both dialects or is
 * refused with exit 3 (`--name '[z-a]'` exited 5; `[]` and `[[:alpha:]]` too on PostgreSQL), and
 * no `$regex` can hang the store (`(.*)(.*)(.*)(.*)(.*)x` over 1 MB held SQLite for minutes).
 * Arbitrary globs are checked against Python's fnmatch (a real, independent implementation)
 * on the syntax both share.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ValidationError } from "../src/model/errors.ts";
import { ferry } from "./helpers/cli.ts";
import { testProject } from "./helpers/project.ts";
import { dialects } from "./helpers/stores.ts";

const SEED = Number(process.env.FERRY_FUZZ_SEED ?? 20_240_808);
const NAMES = "a b ab ba a-1 b_2 abc Zed z9 x-y-z A _ _- aa-bb 9-".split(" ");

/** Python's fnmatchcase over NAMES, for each glob. */
function fnmatch(globs: readonly string[]): string[][] {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import fnmatch, json, sys\nd = json.load(sys.stdin)\nprint(json.dumps([[n for n in d['names'] if fnmatch.fnmatchcase(n, g)] for g in d['globs']]))",
    ],
    { input: JSON.stringify({ globs, names: NAMES }), encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

/** Globs of the syntax ferry and fnmatch share: no backslash, no [^…], no [:class:]. */
const globArb = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("a", "b", "z", "Z", "-", "_", "1", "9", "x", "y") },
      { weight: 2, arbitrary: fc.constantFrom("*", "?") },
      {
        weight: 2,
        arbitrary: fc.constantFrom("[", "]", "!", "[a-b]", "[!a]", "[]a]", "[z-a]", "[0-9]", "[-a]"),
      },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""));

for (const d of dialects()) {
  describe(`selectors on hostile input, ${d.name}`, { skip: d.skip }, () => {
    test("--name with a set no database reads the same way: exit 3; odd sets match as documented", async () => {
      await using p = await testProject(d);
      await p.add("name: f\njobs:\n  - {name: abc, sh: 'true'}\n  - {name: Zed, sh: 'true'}\n");
      const cli = (...args: string[]) =>
        ferry(["--project", join(p.dir, "ferry.yaml"), "jobs", "list", "--json", ...args], { cwd: p.dir });
      const bad = await cli("--name", "[z-a]");
      assert.equal(bad.code, 3, `exit ${bad.code}: ${bad.stderr}`);
      assert.match(bad.stderr, /range out of order/);
      for (const [glob, expected] of [
        ["[]", []],
        ["[[:alpha:]]*", ["Zed", "abc"]],
        ["[[:upper:]]*", ["Zed"]],
      ] as const) {
        const r = await cli("--name", glob);
        assert.equal(r.code, 0, `${glob}: exit ${r.code}: ${r.stderr}`);
        const names = (JSON.parse(r.stdout) as { name: string }[]).map((j) => j.name).sort();
        assert.deepEqual(names, expected, glob);
      }
    });

    test("arbitrary globs match what fnmatch matches, or are refused as invalid", async () => {
      await using p = await testProject(d);
      await p.add(`name: f\njobs:\n${NAMES.map((n) => `  - {name: "${n}", sh: "true"}\n`).join("")}`);
      const globs = fc.sample(globArb, { seed: SEED, numRuns: 300 });
      const expected = fnmatch(globs);
      let refused = 0;
      for (const [i, glob] of globs.entries()) {
        let got: string[];
        try {
          got = (await p.store.findJobs({ names: [glob] })).map((j) => j.name);
        } catch (e) {
          assert.ok(e instanceof ValidationError, `${JSON.stringify(glob)}: ${e} (seed ${SEED})`);
          refused++;
          continue;
        }
        assert.deepEqual(got.sort(), [...expected[i]!].sort(), `${JSON.stringify(glob)} (seed ${SEED})`);
      }
      assert.ok(refused < globs.length / 2, `${refused} of ${globs.length} refused`);
    });

    test("a catastrophic $regex over a 1 MB value answers in bounded time", async () => {
      await using p = await testProject(d);
      p.file(
        "big.json",
        JSON.stringify({
          name: "big",
          jobs: [{ name: "a", sh: "true", metadata: { blob: "a".repeat(1 << 20) } }],
        }),
      );
      const added = await ferry(["--project", join(p.dir, "ferry.yaml"), "add", join(p.dir, "big.json")], {
        cwd: p.dir,
      });
      assert.equal(added.code, 0, added.stderr);
      const started = Date.now();
      const r = await ferry(
        [
          "--project",
          join(p.dir, "ferry.yaml"),
          "jobs",
          "list",
          "--json",
          "--query",
          JSON.stringify({ "metadata.blob": { $regex: "(.*)(.*)(.*)(.*)(.*)x" } }),
        ],
        { cwd: p.dir, timeoutMs: 60_000 },
      );
      assert.notEqual(r.code, null, "the query was still running after 60 s");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), []);
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds < 60, `${seconds} s`);
    });
  });
}
