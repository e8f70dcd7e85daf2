import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Issue, ValidationError } from "../../model/errors.ts";
import { LIMITS, parseJobQuery, parseRunQuery } from "./parse.ts";

function issues(query: unknown, parse = parseJobQuery): readonly Issue[] {
  try {
    parse(query);
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected a ValidationError, got ${e}`);
    assert.match(e.message, /docs\/queries\.md/);
    return e.issues;
  }
  assert.fail(`query was accepted: ${JSON.stringify(query)}`);
}

/** The query fails with exactly one issue, at `field`, whose message matches `message`. */
function rejects(query: unknown, field: string | undefined, message: RegExp, parse = parseJobQuery): void {
  const found = issues(query, parse);
  assert.equal(found.length, 1, `one issue expected, got ${JSON.stringify(found)}`);
  assert.equal(found[0]!.field, field);
  assert.match(found[0]!.message, message);
}

describe("parse: accepted queries", () => {
  test("implicit equality, several operators on one field, dotted paths and indices", () => {
    const c = parseJobQuery({
      state: "FAILED",
      "inputs.temperature": { $gte: 300, $lt: 400 },
      "outputs.values.0": 1,
    });
    assert.equal(c.kind, "and");
    const parts = (c as { of: readonly { kind: string; field?: { path: unknown } }[] }).of;
    assert.deepEqual(
      parts.map((p) => p.kind),
      ["compare", "and", "compare"],
    );
    assert.deepEqual(parts[2]!.field!.path, ["values", 0]);
  });

  test("$ne and $nin are not of $eq and $in", () => {
    assert.deepEqual(parseJobQuery({ "metadata.p": { $ne: "a" } }).kind, "not");
    assert.deepEqual(parseJobQuery({ "metadata.p": { $nin: ["a"] } }).kind, "not");
  });

  test("ISO-8601 times become milliseconds (UTC when no offset)", () => {
    const value = (q: unknown) => (parseJobQuery(q) as { value: unknown }).value;
    assert.equal(value({ createdAt: { $gte: "2024-05-01" } }), Date.UTC(2024, 4, 1));
    assert.equal(
      value({ createdAt: { $gte: "2024-05-01T12:30:00.250Z" } }),
      Date.UTC(2024, 4, 1, 12, 30, 0, 250),
    );
    assert.equal(value({ updatedAt: "2024-05-01T14:30+02:00" }), Date.UTC(2024, 4, 1, 12, 30));
    assert.equal(value({ updatedAt: 1714566600000 }), 1714566600000);
  });

  test("$regex with $options, and $not around it", () => {
    const c = parseRunQuery({ "error.stack": { $not: { $regex: "segmentation FAULT", $options: "i" } } });
    assert.equal(c.kind, "not");
  });

  test("an empty query matches everything", () => {
    assert.deepEqual(parseJobQuery({}), { kind: "and", of: [] });
  });
});

describe("parse: rejected queries name the offending path", () => {
  test("a query that is not an object", () => {
    rejects([], undefined, /a query is a JSON object such as \{"state": "FAILED"\}; got an array/);
    rejects("state=FAILED", undefined, /got a string/);
    rejects(null, undefined, /got null/);
  });

  test("unknown and forbidden top-level operators", () => {
    rejects(
      { $where: "this.a > 1" },
      "$where",
      /\$where runs JavaScript and is never allowed.*\$and, \$or, \$not/,
    );
    rejects({ $nor: [{ state: "FAILED" }] }, "$nor", /write \{"\$not": \{"\$or": \[\.\.\.\]\}\}/);
    rejects({ $expr: {} }, "$expr", /unknown operator \$expr; at the top level/);
  });

  test("$and / $or need a non-empty array of queries", () => {
    rejects({ $or: {} }, "$or", /\$or takes a non-empty array of queries; got an object/);
    rejects({ $and: [] }, "$and", /non-empty array/);
    rejects({ $or: [{ state: "FAILED" }, 3] }, "$or[1]", /a query is a JSON object.*got a number/);
    rejects({ $or: [{ "outputs.energy": { $gt: [1] } }] }, "$or[0].outputs.energy.$gt", /whole array/);
  });

  test("unknown fields, with hints", () => {
    rejects(
      { stat: "FAILED" },
      "stat",
      /unknown job field "stat" \(did you mean "state"\?\); job fields are id, name/,
    );
    rejects(
      { "spec.temperature": 300 },
      "spec.temperature",
      /unknown job field "spec" \(ferry calls it inputs\)/,
    );
    rejects({ "error.stack": "x" }, "error.stack", /"error" is a run field: add --runs/);
    rejects({ name: "x" }, "name", /"name" is a job field: .*leave out --runs/, parseRunQuery);
    rejects({ constructor: 2 }, "constructor", /unknown job field "constructor"/);
    rejects(JSON.parse('{"__proto__": {"state": "FAILED"}}'), "__proto__", /unknown job field "__proto__"/);
  });

  test("paths: plain fields have no members, segments are checked", () => {
    rejects({ "state.x": "a" }, "state.x", /"state" is a plain string field: it has no members/);
    rejects({ "inputs.a b": 1 }, "inputs.a b", /invalid path segment "a b".*letters, digits, or _ - @ : \+/);
    rejects({ "inputs..a": 1 }, "inputs..a", /invalid path segment ""/);
    rejects({ "inputs.a.$gt": 1 }, "inputs.a.$gt", /operators go in the value/);
    rejects({ "outputs.values.01": 1 }, "outputs.values.01", /without leading zeros/);
    rejects({ "inputs.a'b": 1 }, "inputs.a'b", /invalid path segment/);
    rejects({ [`inputs.${"a.".repeat(20)}x`]: 1 }, `inputs.${"a.".repeat(20)}x`, /at most 16 segments/);
  });

  test("unknown field operators, with suggestions", () => {
    rejects(
      { "outputs.energy": { $gtt: 1 } },
      "outputs.energy.$gtt",
      /unknown operator \$gtt \(did you mean \$gt\?\); allowed: \$eq, \$ne/,
    );
    rejects({ "inputs.n": { $size: 2 } }, "inputs.n.$size", /unknown operator \$size/);
    rejects({ state: { $or: ["A"] } }, "state.$or", /\$or goes at the top level/);
    rejects({ "inputs.x": { $gt: 1, y: 2 } }, "inputs.x.y", /cannot also hold plain keys.*"inputs\.x\.y"/);
  });

  test("operand types", () => {
    rejects(
      { "outputs.energy": { $gt: [1] } },
      "outputs.energy.$gt",
      /comparing with a whole array is not supported/,
    );
    rejects({ "outputs.tags": ["a", "b"] }, "outputs.tags", /"outputs\.tags\.0" is the first element/);
    rejects(
      { "resources.x": { a: 1 } },
      "resources.x",
      /whole object is not supported.*\{"resources\.x\.key": 1\}/,
    );
    rejects({ "inputs.x": {} }, "inputs.x", /whole object/);
    rejects({ "inputs.x": { $gt: true } }, "inputs.x.$gt", /\$gt compares with a number or a string/);
    rejects({ "inputs.x": { $lte: null } }, "inputs.x.$lte", /not null/);
    rejects({ "inputs.x": Number.NaN }, "inputs.x", /NaN is not a JSON number/);
    rejects({ "inputs.x": undefined }, "inputs.x", /^undefined is not a JSON value/);
    rejects({ "inputs.x": new Date(0) }, "inputs.x", /whole object/);
    rejects({ "inputs.x": "a\u0000b" }, "inputs.x", /NUL/);
    rejects({ "inputs.x": "\ud800" }, "inputs.x", /unpaired surrogates/);
    rejects({ "inputs.x": "x".repeat(10_001) }, "inputs.x", /limited to 10000 characters/);
  });

  test("column types", () => {
    rejects({ priority: "high" }, "priority", /"priority" is a number; got the string "high"/);
    rejects({ id: 1.5 }, "id", /"id" is an integer; got 1\.5/);
    rejects({ exitCode: 2 ** 40 }, "exitCode", /32-bit integer/, parseRunQuery);
    rejects({ allowFailedParents: 1 }, "allowFailedParents", /is true or false; got 1/);
    rejects({ allowFailedParents: { $gt: false } }, "allowFailedParents.$gt", /use \$eq or \$ne, not \$gt/);
    rejects({ name: 3 }, "name", /"name" is a string; got 3/);
    rejects(
      { state: "FAILLED" },
      "state",
      /unknown state "FAILLED" \(did you mean "FAILED"\?\); one of WAITING/,
    );
    rejects({ state: { $in: ["FAILED", "failed"] } }, "state.$in[1]", /did you mean "FAILED"/);
    rejects({ state: "LOST" }, "state", /unknown state "LOST"/);
    rejects(
      { createdAt: { $gt: "yesterday" } },
      "createdAt.$gt",
      /ISO-8601 date such as "2024-05-01T12:00:00Z"/,
    );
    rejects({ createdAt: "2024-02-30" }, "createdAt", /is a time/);
    rejects(
      { priority: { $regex: "1" } },
      "priority.$regex",
      /\$regex matches text, and "priority" is a number field/,
    );
  });

  test("$in, $nin, $exists", () => {
    rejects(
      { "metadata.project": { $in: "alpha" } },
      "metadata.project.$in",
      /\$in takes an array of values; got a string/,
    );
    rejects({ "metadata.project": { $nin: ["a", { b: 1 }] } }, "metadata.project.$nin[1]", /whole object/);
    rejects(
      { "metadata.project": { $in: Array(501).fill("a") } },
      "metadata.project.$in",
      /at most 500 values/,
    );
    rejects(
      { "outputs.energy": { $exists: 1 } },
      "outputs.energy.$exists",
      /\$exists takes true or false; got a number/,
    );
  });

  test("$regex and $options", () => {
    rejects({ "error.stack": { $regex: 5 } }, "error.stack.$regex", /\$regex takes a string/, parseRunQuery);
    rejects(
      { "error.stack": { $options: "i" } },
      "error.stack.$options",
      /\$options goes with \$regex/,
      parseRunQuery,
    );
    rejects(
      { "error.stack": { $regex: "a", $options: "ix" } },
      "error.stack.$options",
      /unsupported option "x"; options are i .*m .*s /,
      parseRunQuery,
    );
    rejects(
      { name: { $regex: "a(b" } },
      "name.$regex",
      /invalid regular expression: missing \) \(at character 2/,
    );
    rejects({ name: { $regex: "*a" } }, "name.$regex", /nothing to repeat \(at character 1/);
    rejects({ name: { $regex: "(a+)+b" } }, "name.$regex", /nested repetition/);
    rejects({ name: { $not: "x" } }, "name.$not", /\$not takes an object of operators/);
    rejects({ name: { $not: { $regex: "(" } } }, "name.$not.$regex", /missing \)/);
  });

  test("several problems are reported together", () => {
    const found = issues({ stat: 1, "inputs.x": { $gt: [] }, priority: "a" });
    assert.deepEqual(
      found.map((i) => i.field),
      ["stat", "inputs.x.$gt", "priority"],
    );
  });

  test("depth and size limits stop hostile queries early", () => {
    let deep: unknown = { state: "FAILED" };
    for (let i = 0; i < 100; i++) deep = { $and: [deep] };
    const d = issues(deep);
    assert.equal(d.length, 1);
    assert.match(d[0]!.message, new RegExp(`nests too deeply: at most ${LIMITS.depth} levels`));

    const cyclic: Record<string, unknown> = {};
    cyclic.$not = cyclic;
    assert.match(issues(cyclic)[0]!.message, /nests too deeply/);

    const wide = { $or: Array.from({ length: 3000 }, (_, i) => ({ [`inputs.k${i}`]: i })) };
    assert.match(issues(wide)[0]!.message, new RegExp(`too large: at most ${LIMITS.nodes} keys and values`));

    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bad${i}`, 1]));
    assert.equal(issues(many).length, LIMITS.issues);
  });
});
