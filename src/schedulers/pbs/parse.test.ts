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
import { pbsPro, torque } from "./index.ts";
import { parseQdel, parseQstatJson, parseQsub } from "./parse.ts";
import { parseQstatFull } from "./parse-text.ts";

const fixtures = loadFixtures("pbs");

for (const fixture of fixtures) {
  // pbspro-*: PBS Pro formats written from its documentation; torque-* and wrapper-* (recorded):
  // TORQUE-style text.
  const scheduler = fixture.name.includes("/pbspro-") ? pbsPro : torque;
  test(`golden: ${fixture.name}`, () => {
    switch (fixture.command[0]) {
      case "qsub":
        return assertSubmitMatches(fixture, scheduler.parseSubmit);
      case "qstat":
        return assertListingMatches(
          fixture,
          fixture.command.includes("-x")
            ? scheduler.parseAccounting(fixture)
            : scheduler.parseStatus(fixture),
        );
      case "qdel":
        return assertCancelMatches(fixture, (o) => scheduler.parseCancel(o, []));
      default:
        assert.fail(`no parser for ${fixture.command.join(" ")}`);
    }
  });
}

test("the PBS Pro flavour reads qstat -f text too (a PBS Pro older than 14.1 has no -F json)", () => {
  const text = { exitCode: 0, stdout: "Job Id: 7.srv\n    job_state = R\n    queue = workq\n", stderr: "" };
  assert.equal(pbsPro.parseStatus(text).jobs.get("7.srv")?.state, "running");
});

test("JSON with a state letter PBS does not document is reported", () => {
  const out = { exitCode: 0, stdout: '{"Jobs":{"1.s":{"Job_Name":"x","job_state":"Z"}}}', stderr: "" };
  const listing = parseQstatJson(out);
  assert.equal(listing.jobs.get("1.s")?.state, "unknown");
  assert.equal(listing.problems.length, 1);
});

test("a finished job without exit status is unknown, not done", () => {
  const out = { exitCode: 0, stdout: "Job Id: 9\n\tjob_state = C\n", stderr: "" };
  const job = parseQstatFull(out, "torque").jobs.get("9");
  assert.equal(job?.state, "unknown");
  assert.equal(job?.exitCode, null);
});

const samples = fixtures.flatMap((f) => [f.stdout, f.stderr]);
test("property: qstat parsers (JSON and text) never throw on garbage", () => {
  assertNeverThrows((o) => parseQstatJson(o), samples);
  assertNeverThrows((o) => parseQstatFull(o, "torque"), samples);
  assertNeverThrows((o) => parseQstatFull(o, "pbspro"), samples);
});
test("property: qsub and qdel parsers throw only SchedulerError", () => {
  assertThrowsOnlySchedulerError(parseQsub, samples);
  assertThrowsOnlySchedulerError(parseQdel, samples);
});
