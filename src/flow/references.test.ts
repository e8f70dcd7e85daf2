import assert from "node:assert/strict";
import { test } from "node:test";
import {
  findReferences,
  formatReference,
  MissingOutputError,
  parsePath,
  parseReferenceText,
  resolveReferences,
} from "./references.ts";

test("paths: keys, indices and quoted keys", () => {
  assert.deepEqual(parsePath("a.b[0]"), ["a", "b", 0]);
  assert.deepEqual(parsePath('energies[2]["total energy"].value'), ["energies", 2, "total energy", "value"]);
  assert.deepEqual(parsePath(""), []);
  assert.throws(() => parsePath("a..b"), /bad path/);
  assert.deepEqual(parseReferenceText("sample-1.x[3]"), { job: "sample-1", path: ["x", 3] });
  assert.deepEqual(parseReferenceText("a[1]"), { job: "a", path: [1] });
  assert.equal(formatReference({ job: "a", path: ["x", 0, "y z"] }), 'a.x[0]["y z"]');
  assert.equal(formatReference({ job: "a", path: ["y z", "w"] }), 'a["y z"].w', "no dot before a bracket");
  assert.equal(formatReference({ job: "a", path: [] }), "a");
});

test("finds references in every form, with where they sit", () => {
  const refs = findReferences({
    x: "${{ a.value }}",
    y: { $ref: "b", path: "list[1]" },
    z: ["file-${{ c.name }}.txt", { deep: "${{ d }}" }],
  });
  assert.deepEqual(
    refs.map((r) => [r.job, r.path, r.at]),
    [
      ["a", ["value"], "inputs.x"],
      ["b", ["list", 1], "inputs.y"],
      ["c", ["name"], "inputs.z[0]"],
      ["d", [], "inputs.z[1].deep"],
    ],
  );
  assert.throws(
    () => findReferences({ x: { $ref: "a", pth: "x" } }),
    /only "\$ref", "path" and "flow", not "pth"/,
  );
});

test("resolves whole-value references to any JSON and interpolates embedded ones as text", () => {
  const outputs: Record<string, unknown> = { a: { value: [1, { k: "v" }] }, b: 42 };
  const got = resolveReferences(
    { whole: "${{ a.value[1] }}", obj: { $ref: "b" }, text: "n=${{ b }}, k=${{ a.value[1].k }}", plain: 3 },
    (n) => outputs[n] as never,
  );
  assert.deepEqual(got, { whole: { k: "v" }, obj: 42, text: "n=42, k=v", plain: 3 });
});

test("a missing path says which step is missing", () => {
  assert.throws(
    () => resolveReferences({ x: "${{ a.value.nope }}" }, () => ({ value: { yes: 1 } })),
    (e: Error) =>
      e instanceof MissingOutputError &&
      /reference to a\.value\.nope: the output has no value\.nope/.test(e.message),
  );
  assert.throws(() => resolveReferences({ x: "${{ a }}" }, () => null), /produced no output/);
});
