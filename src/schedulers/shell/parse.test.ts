import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertCancelMatches,
  assertListingMatches,
  assertNeverThrows,
  assertSubmitMatches,
  assertThrowsOnlySchedulerError,
} from "../../../test/fixtures/schedulers/assertions.ts";
import { loadFixtures } from "../../../test/fixtures/schedulers/fixtures.ts";
import { parseKill, parsePs, parseShellSubmit } from "./parse.ts";

const fixtures = loadFixtures("shell");

for (const fixture of fixtures) {
  test(`golden: ${fixture.name}`, () => {
    if (fixture.command[0] === "sh") assertSubmitMatches(fixture, parseShellSubmit);
    else if (fixture.command[0] === "ps") assertListingMatches(fixture, parsePs(fixture));
    else if (fixture.command[0] === "kill") assertCancelMatches(fixture, parseKill);
    else assert.fail(`no parser for ${fixture.command.join(" ")}`);
  });
}

test("ps: a zombie has exited and a reused PID is not our job", () => {
  const listing = parsePs({
    exitCode: 0,
    stdout: "  100   100 Zs\n  200   150 S\n  300   300 Ts\n",
    stderr: "",
  });
  assert.deepEqual([...listing.jobs.keys()], ["300"]);
  assert.equal(listing.jobs.get("300")?.reason, "stopped");
});

test("ps: a real error is a failure", () => {
  const listing = parsePs({ exitCode: 1, stdout: "", stderr: "error: unsupported option (BSD syntax)\n" });
  assert.notEqual(listing.failure, null);
});

test("kill: permission denied is a refusal", () => {
  assert.throws(() =>
    parseKill({ exitCode: 1, stdout: "", stderr: "kill: (-1234): Operation not permitted\n" }),
  );
});

const samples = fixtures.flatMap((f) => [f.stdout, f.stderr]);
test("property: the ps parser never throws on garbage", () => assertNeverThrows(parsePs, samples));
test("property: launcher and kill parsers throw only SchedulerError", () => {
  assertThrowsOnlySchedulerError(parseShellSubmit, samples);
  assertThrowsOnlySchedulerError(parseKill, samples);
});
