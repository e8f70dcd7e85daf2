import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError } from "../../model/errors.ts";
import { compileGlob } from "./glob.ts";
import { linearRegExp } from "./linear-regexp.ts";

const matches = (glob: string, name: string) => linearRegExp(compileGlob(glob).linear).test(name);
const refused = (glob: string, message: RegExp) =>
  assert.throws(
    () => compileGlob(glob),
    (e: Error) => e instanceof ValidationError && message.test(e.message),
    glob,
  );

test("globs: * ? and sets, matched against the whole name", () => {
  assert.ok(matches("relax-*", "relax-12"));
  assert.ok(!matches("relax-*", "xrelax-12"));
  assert.ok(matches("a?c", "abc") && !matches("a?c", "ac"));
  assert.ok(matches("[ab]1", "b1") && !matches("[ab]1", "c1"));
  assert.ok(matches("[!ab]1", "c1") && matches("[^ab]1", "c1") && !matches("[!ab]1", "a1"));
  assert.ok(matches("j[0-9][0-9]", "j42"));
  assert.ok(matches("a%", "a%") && !matches("a%", "ab"), "% is not a wildcard");
  assert.ok(matches("a.b", "a.b") && !matches("a.b", "axb"), ". is a literal");
  assert.ok(matches("**", "anything"));
  assert.ok(matches("*", "") && matches("x*", "x") && !matches("x*", "yx") && matches("\\*", "*"));
});

test("a glob that is a prefix, suffix or part runs without quantifiers (the faster engine)", () => {
  const { pattern, linear, engine } = compileGlob("relax-*");
  assert.deepEqual(
    { pattern, linear, engine },
    { pattern: "^relax-", linear: "^relax-", engine: "backtracking" },
  );
  assert.equal(compileGlob("*-1*").engine, "backtracking");
  assert.equal(compileGlob("a*b").engine, "linear");
});

test("POSIX rules for odd sets: ] first is a member, [ without ] is literal, \\ escapes", () => {
  assert.ok(matches("[]a]", "]") && matches("[]a]", "a"));
  assert.ok(matches("[]", "[]"), "[] has no closing ]: both characters are literal");
  assert.ok(matches("x[", "x["));
  assert.ok(matches("[a-]", "-") && matches("[-a]", "-"));
  assert.ok(matches("\\*", "*") && !matches("\\*", "a"));
  assert.ok(matches("[[:alpha:]]*", "Abc") && !matches("[[:alpha:]]*", "1bc"));
  assert.ok(matches("[[:digit:][:upper:]]", "7") && matches("[[:digit:][:upper:]]", "Q"));
});

test("what no dialect can read the same way is refused (exit 3), naming the glob", () => {
  refused("[z-a]", /"\[z-a\]": range out of order/);
  refused("[[:foo:]]", /\[:foo:\] is not a class/);
  refused("a\u0000", /NUL/);
  refused("x".repeat(501), /at most 500 characters/);
});
