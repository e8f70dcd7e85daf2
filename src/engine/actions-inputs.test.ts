/** modifyChildren's operators on one job's inputs (pure; the engine tests run them end to end). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsonObject } from "../model/json.ts";
import { EditError, modifyInputs, updateInputs } from "./actions-inputs.ts";

const fails = (inputs: JsonObject, mod: Parameters<typeof modifyInputs>[1], message: RegExp) =>
  assert.throws(
    () => modifyInputs(inputs, mod),
    (e: Error) => e instanceof EditError && message.test(e.message),
  );

test("operators run in the order set, unset, push, pushAll, inc, and never touch the original", () => {
  const inputs = { list: [1], n: 1, deep: { drop: true }, rows: [{ v: 1 }] };
  const out = modifyInputs(inputs, {
    inc: { n: 1, "rows.0.v": 10, fresh: 2 },
    pushAll: { list: [3], "made.here": [1, 2] },
    push: { list: 2 },
    unset: ["deep.drop", "not.there"],
    set: { list: [0], "deep.a.b": "c" },
  });
  assert.deepEqual(out, {
    list: [0, 2, 3],
    n: 2,
    fresh: 2,
    deep: { a: { b: "c" } },
    rows: [{ v: 11 }],
    made: { here: [1, 2] },
  });
  assert.deepEqual(inputs, { list: [1], n: 1, deep: { drop: true }, rows: [{ v: 1 }] });
});

test("wrong types and bad paths are errors naming the operator, the path and what is there", () => {
  fails({ s: "x" }, { push: { s: 1 } }, /^push "s": it holds a string \("x"\), not an array$/);
  fails({ s: [1] }, { inc: { s: 1 } }, /^inc "s": it holds an array, not a number$/);
  fails({ s: null }, { set: { "s.t": 1 } }, /^set "s.t": "s" holds null, not an object$/);
  fails({ a: [1] }, { set: { "a.x": 1 } }, /^set "a.x": "a" is an array: use a numeric index, not "x"$/);
  fails({ a: [1] }, { set: { "a.3": 1 } }, /^set "a.3": "a" has 1 element\(s\): no index 3$/);
  fails({ a: [1] }, { unset: ["a.0"] }, /unset removes object keys/);
  fails({}, { set: { "__proto__.polluted": 1 } }, /"__proto__" cannot be used as a key/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // inherited properties are not inputs
  assert.deepEqual(modifyInputs({}, { push: { toString: 1 }, inc: { "constructor.x": 1 } }), {
    toString: [1],
    constructor: { x: 1 },
  });
});

test("updateChildren replaces top-level keys with copies", () => {
  const update = { x: { deep: 1 } };
  const out = updateInputs({ x: 0, y: 1 }, update);
  assert.deepEqual(out, { x: { deep: 1 }, y: 1 });
  assert.notEqual(out.x, update.x);
});
