/**
 * Integral floats keep their spelling (`1.0` stays `1.0`) through every place ferry reads or
 * writes a JSON value: flow files (JSON and YAML), the store (SQLite text, PostgreSQL jsonb),
 * bundle files, reference resolution, actions, `--set` and the CLI's --json output.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { modifyInputs, updateInputs } from "../src/engine/actions-inputs.ts";
import { addFlow } from "../src/engine/add-flow.ts";
import { applyEdits, parseSets } from "../src/engine/update.ts";
import { flowSpecFromObject, parseFlowText } from "../src/flow/parse.ts";
import { resolveReferences } from "../src/flow/references.ts";
import { parseAction } from "../src/model/action.ts";
import {
  cloneJson,
  isPlainObject,
  isRawNumber,
  type JsonObject,
  type JsonValue,
  jsonEqual,
  parseJson,
  stringifyJson,
} from "../src/model/json.ts";
import { ferry } from "./helpers/cli.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const TEXT = '{"x":1.0,"v":[0.0,2.0,1.5,1e3,-0.0],"big":18446744073709551616,"n":3,"s":"1.0","e":[]}';

describe("parseJson / stringifyJson", () => {
  test("integral floats and integers past 2^53 come back as written; everything else as JSON.parse reads it", () => {
    const v = parseJson(TEXT) as JsonObject;
    assert.equal(stringifyJson(v), TEXT);
    assert.equal(JSON.stringify(v), TEXT, "plain JSON.stringify writes them too");
    assert.ok(isRawNumber(v.x) && isRawNumber(v.big));
    assert.equal(v.n, 3);
    assert.equal((v.v as JsonValue[])[2], 1.5);
    assert.equal(v.s, "1.0");
    assert.equal(stringifyJson(parseJson('{"a": [1, 2.5, "x"]}')), '{"a":[1,2.5,"x"]}');
    assert.throws(() => parseJson("{1.0}"), SyntaxError);
  });

  test("walkers treat a kept number as a number: not an object, equal by value, shared by clones", () => {
    const v = parseJson(TEXT) as JsonObject;
    assert.equal(isPlainObject(v.x), false);
    assert.ok(jsonEqual(v.x, 1) && jsonEqual(v, parseJson(TEXT)) && !jsonEqual(v.x, 2));
    const copy = cloneJson(v);
    assert.equal(stringifyJson(copy), TEXT);
    assert.notEqual(copy.v, v.v);
  });

  test("references resolve to the kept spelling, as a whole value and inside a string", () => {
    const out = parseJson('{"x": 1.0, "v": [0.0, 2.0]}');
    const got = resolveReferences(
      { x: "${{ p.x }}", v: { $ref: "p", path: "v" }, first: "${{ p.v[0] }}", label: "x=${{ p.x }}" },
      () => out,
    );
    assert.equal(stringifyJson(got), '{"x":1.0,"v":[0.0,2.0],"first":0.0,"label":"x=1.0"}');
  });
});

/**
 * Random JSON texts with every kind of number spelling, and strings that look like numbers.
 * The oracle: a number keeps its spelling exactly when JavaScript would change its meaning —
 * an integral value spelled as a float, or an integer past 2^53 — else it reads as JSON.parse
 * reads it.
 */
const SEED = Number(process.env.FERRY_TEST_SEED ?? Date.now() % 2 ** 31);
const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const numberToken = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc
    .tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 4 }))
    .map(([n, z]) => `${n}.${"0".repeat(z)}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => `${m}e${e}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), digits(15, 22)).map(([a, b]) => `${a}${b}`),
  fc.tuple(digits(1, 16), digits(1, 6)).map(([a, b]) => `${a.replace(/^0+(?=.)/, "")}.${b}`),
  fc.constantFrom("-0.0", "0.0", "1E2", "1.5e1", "999999999999999.97", "9007199254740993", "1e400"),
);
const keyOrText = fc.oneof(fc.string(), numberToken, fc.constantFrom("v1.0", '"1.0"', "\u0001ferry-x#0"));
type Piece = { text: string; expect: string };
const numberPiece = numberToken.map((t): Piece => {
  const n = Number(t);
  const keepIt = Number.isInteger(n) && (/[.eE]/.test(t) || !Number.isSafeInteger(n));
  return { text: t, expect: keepIt ? t : JSON.stringify(n) };
});
const stringPiece = keyOrText.map((s): Piece => ({ text: JSON.stringify(s), expect: JSON.stringify(s) }));
const pieceArb: fc.Arbitrary<Piece> = fc.letrec<{ piece: Piece }>((tie) => ({
  piece: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberPiece,
    stringPiece,
    fc.constantFrom<Piece>({ text: "null", expect: "null" }, { text: "true", expect: "true" }),
    fc.array(tie("piece"), { maxLength: 5 }).map((xs) => ({
      text: `[ ${xs.map((x) => x.text).join(" , ")} ]`,
      expect: `[${xs.map((x) => x.expect).join(",")}]`,
    })),
    // keys start with "k": JavaScript puts integer-like keys first, which is not what this tests
    fc
      .uniqueArray(
        fc.tuple(
          keyOrText.map((k) => `k${k}`),
          tie("piece"),
        ),
        { maxLength: 5, selector: ([k]) => k },
      )
      .map((kvs) => ({
        text: `{ ${kvs.map(([k, v]) => `${JSON.stringify(k)} : ${v.text}`).join(", ")} }`,
        expect: `{${kvs.map(([k, v]) => `${JSON.stringify(k)}:${v.expect}`).join(",")}}`,
      })),
  ),
})).piece;

describe(`parseJson on random texts (FERRY_TEST_SEED=${SEED})`, () => {
  test("keeps exactly the numbers JavaScript would change, and reads everything else as JSON.parse does", () => {
    fc.assert(
      fc.property(pieceArb, (p) => {
        assert.equal(stringifyJson(parseJson(p.text)), p.expect);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe("flow files, actions and edits keep floats", () => {
  test("JSON and YAML flow inputs keep 1.0; typed fields (priority, resources) still take them", () => {
    const json = `{"name": "f", "jobs": [{"name": "a", "sh": "true", "priority": 2.0, "resources": {"nodes": 1.0},
      "inputs": {"x": 1.0, "v": [0.0, 2.0], "n": 2}, "metadata": {"t": 300.0}}]}`;
    const fromJson = flowSpecFromObject(parseFlowText(json, "f.json"), { baseDir: "/" }).jobs[0]!;
    assert.equal(stringifyJson(fromJson.inputs), '{"x":1.0,"v":[0.0,2.0],"n":2}');
    assert.equal(stringifyJson(fromJson.metadata), '{"t":300.0}');
    assert.equal(fromJson.priority, 2);
    assert.deepEqual(fromJson.resources, { nodes: 1 });
    const yaml =
      "name: f\njobs:\n  - {name: a, sh: 'true', inputs: {x: 1.0, v: [0.0, 2.5, 1e3], n: 2, s: '1.0'}}\n";
    const fromYaml = flowSpecFromObject(parseFlowText(yaml, "f.yaml"), { baseDir: "/" }).jobs[0]!;
    assert.equal(stringifyJson(fromYaml.inputs), '{"x":1.0,"v":[0.0,2.5,1000.0],"n":2,"s":"1.0"}');
  });

  test("actions: output, storedData, updateChildren and inc keep floats; a float plus one is a float", () => {
    const raw = parseJson(`{"output": {"e": 1.0}, "storedData": {"k": 2.0},
      "updateChildren": {"inputs": {"x": 3.0}},
      "modifyChildren": {"inc": {"e": 1, "n": 1.0}, "set": {"v": [0.0]}},
      "addJobs": [{"name": "more", "sh": "true", "priority": 1.0, "inputs": {"y": 4.0}}]}`);
    const parsed = parseAction(raw);
    assert.ok("action" in parsed, JSON.stringify(parsed));
    const a = parsed.action;
    assert.equal(stringifyJson(a.output), '{"e":1.0}');
    assert.equal(stringifyJson(a.storedData), '{"k":2.0}');
    assert.equal(stringifyJson(updateInputs({ a: 1 }, a.updateChildren!.inputs)), '{"a":1,"x":3.0}');
    const inputs = parseJson('{"e": 1.0, "n": 1, "keep": [2.0]}') as JsonObject;
    assert.equal(
      stringifyJson(modifyInputs(inputs, a.modifyChildren!)),
      '{"e":2.0,"n":2.0,"keep":[2.0],"v":[0.0]}',
    );
    assert.equal(stringifyJson(inputs), '{"e":1.0,"n":1,"keep":[2.0]}', "the original is not changed");
    assert.equal(a.addJobs![0]!.priority, 1);
    assert.equal(stringifyJson(a.addJobs![0]!.inputs), '{"y":4.0}');
  });

  test("--set inputs.x=1.0 sets a float", () => {
    const job = { inputs: { x: 1 }, resources: {}, priority: 0 } as never;
    const edited = applyEdits(job, parseSets(["inputs.x=1.0", "inputs.v=[0.0,2.0]"]));
    assert.equal(stringifyJson(edited.inputs), '{"x":1.0,"v":[0.0,2.0]}');
  });
});

/** JSON text with keys sorted (jsonb stores keys in its own order), numbers as kept. */
function sortedText(v: JsonValue | null): string {
  const sort = (x: JsonValue): JsonValue =>
    Array.isArray(x)
      ? x.map(sort)
      : isPlainObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort(x[k] as JsonValue)]),
          )
        : x;
  return stringifyJson(v === null ? null : sort(v));
}

for (const d of dialects()) {
  describe(`floats in the store on ${d.name}`, { skip: d.skip }, () => {
    test("inputs, outputs and stored data read back as written, from another connection", async () => {
      await using t = await d.open();
      const spec = flowSpecFromObject(
        parseFlowText(
          '{"name": "f", "jobs": [{"name": "a", "sh": "true", "inputs": {"x": 1.0, "v": [0.0, 2.0]}}]}',
          "f.json",
        ),
        { baseDir: "/" },
      );
      const { jobIds } = await addFlow(t.store, spec);
      const id = jobIds.a!;
      const outputs = parseJson(
        '{"e": -3.0, "big": 18446744073709551616, "f": 0.5, "n": 1e+20, "tiny": 1.5e-7}',
      );
      await t.store.updateJobs(
        [id],
        { outputs, storedData: parseJson('{"k": 2.0}') as JsonObject },
        Date.now(),
      );
      const other = await t.reopen();
      const job = (await other.getJob(id))!;
      assert.equal(sortedText(job.inputs), '{"v":[0.0,2.0],"x":1.0}');
      // 1e+20 is written out, so it stays a float even through jsonb, which drops exponents
      assert.equal(
        sortedText(job.outputs),
        '{"big":18446744073709551616,"e":-3.0,"f":0.5,"n":100000000000000000000.0,"tiny":1.5e-7}',
      );
      assert.equal(sortedText(job.storedData), '{"k":2.0}');
      const byName = (await other.outputsByName(job.flowId, ["a"])).get("a")!;
      assert.equal(
        sortedText(byName.outputs),
        '{"big":18446744073709551616,"e":-3.0,"f":0.5,"n":100000000000000000000.0,"tiny":1.5e-7}',
      );
    });
  });
}

describe("the CLI", () => {
  test("ferry add of a JSON flow and jobs list/show --json print 1.0 as 1.0", async () => {
    const dir = tempDir("ferry-floats-");
    assert.equal((await ferry(["init"], { cwd: dir })).code, 0);
    writeFileSync(
      join(dir, "f.json"),
      '{"name": "f", "jobs": [{"name": "a", "inputs": {"x": 1.0, "v": [0.0, 2.0]}, "sh": "true"}]}',
    );
    const added = await ferry(["add", "f.json", "--json"], { cwd: dir });
    assert.equal(added.code, 0, added.stderr);
    const list = await ferry(["jobs", "list", "--json"], { cwd: dir });
    assert.match(list.stdout, /"x": 1\.0,\s+"v": \[\s+0\.0,\s+2\.0\s+\]/);
    const id = String(JSON.parse(added.stdout)[0].jobIds.a);
    const show = await ferry(["jobs", "show", id], { cwd: dir });
    assert.match(show.stdout, /inputs: \{"x":1\.0,"v":\[0\.0,2\.0\]\}/);
  });
});
