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
import { LSF_STATES, parseBjobsJson, parseBkill, parseBsub } from "./parse.ts";

const fixtures = loadFixtures("lsf");

for (const fixture of fixtures) {
  test(`golden: ${fixture.name}`, () => {
    const program = fixture.command[0] === "sh" ? "bsub" : fixture.command[0];
    if (program === "bsub") assertSubmitMatches(fixture, parseBsub);
    else if (program === "bjobs") assertListingMatches(fixture, parseBjobsJson(fixture));
    else if (program === "bkill") assertCancelMatches(fixture, parseBkill);
    else assert.fail(`no parser for ${fixture.command.join(" ")}`);
  });
}

test("every bjobs STAT of the LSF 10.1 documentation has a neutral meaning", () => {
  for (const stat of [
    "PEND",
    "PROV",
    "PSUSP",
    "RUN",
    "USUSP",
    "SSUSP",
    "DONE",
    "EXIT",
    "UNKWN",
    "WAIT",
    "ZOMBI",
  ]) {
    assert.ok(LSF_STATES[stat], stat);
  }
});

const samples = fixtures.flatMap((f) => [f.stdout, f.stderr]);
test("property: the bjobs parser never throws on garbage", () => {
  assertNeverThrows(parseBjobsJson, samples);
});
test("property: bsub and bkill parsers throw only SchedulerError", () => {
  assertThrowsOnlySchedulerError(parseBsub, samples);
  assertThrowsOnlySchedulerError(parseBkill, samples);
});
