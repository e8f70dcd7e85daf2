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
import {
  parseSacct,
  parseSbatch,
  parseScancel,
  parseSqueue,
  parseSqueueNames,
  SLURM_STATES,
} from "./parse.ts";

const fixtures = loadFixtures("slurm");

for (const fixture of fixtures) {
  test(`golden: ${fixture.name}`, () => {
    switch (fixture.command[0]) {
      case "sbatch":
        return assertSubmitMatches(fixture, parseSbatch);
      case "squeue":
        return assertListingMatches(
          fixture,
          fixture.command.some((a) => a.startsWith("--name="))
            ? parseSqueueNames(fixture)
            : parseSqueue(fixture),
        );
      case "sacct":
        return assertListingMatches(fixture, parseSacct(fixture));
      case "scancel":
        return assertCancelMatches(fixture, parseScancel);
      case "scontrol": // directives-quoting: the quoted values arrived whole
        assert.match(fixture.stdout, /JobName=my job #1 /);
        assert.match(fixture.stdout, /StdOut=\S+\/out 100%%\.txt/);
        return;
      default:
        assert.fail(`no parser for ${fixture.command.join(" ")}`);
    }
  });
}

test("every SLURM state of squeue(1) has a neutral meaning", () => {
  const documented =
    "BOOT_FAIL CANCELLED COMPLETED CONFIGURING COMPLETING DEADLINE FAILED NODE_FAIL OUT_OF_MEMORY PENDING PREEMPTED RUNNING RESV_DEL_HOLD REQUEUE_FED REQUEUE_HOLD REQUEUED RESIZING REVOKED SIGNALING SPECIAL_EXIT STAGE_OUT STOPPED SUSPENDED TIMEOUT";
  for (const state of documented.split(" ")) assert.ok(SLURM_STATES[state], state);
});

test("sbatch --parsable on a federated cluster prints id;cluster", () => {
  assert.equal(parseSbatch({ exitCode: 0, stdout: "4242;cluster2\n", stderr: "" }), "4242");
});

test("sbatch warnings on stderr do not hide the id", () => {
  const out = {
    exitCode: 0,
    stdout: "77\n",
    stderr: "sbatch: warning: can't honor --ntasks-per-node set to 4\n",
  };
  assert.equal(parseSbatch(out), "77");
});

test("squeue: slurmctld down is a failure, not an empty queue", () => {
  const down = parseSqueue({
    exitCode: 1,
    stdout: "",
    stderr: "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n",
  });
  assert.match(down.failure ?? "", /Unable to contact/);
});

test("squeue: a banner instead of jobs is a failure", () => {
  const listing = parseSqueue({
    exitCode: 0,
    stdout: "Welcome to Cluster X\nMaintenance on Friday\n",
    stderr: "",
  });
  assert.notEqual(listing.failure, null);
});

test("squeue: an unknown state is reported, not guessed", () => {
  const listing = parseSqueue({ exitCode: 0, stdout: "5|LAUNCHED_ON_MARS|0|n/a|None|\n", stderr: "" });
  assert.equal(listing.jobs.get("5")?.state, "unknown");
  assert.match(listing.problems[0] ?? "", /LAUNCHED_ON_MARS/);
});

test("sacct: accounting disabled is a failure", () => {
  const listing = parseSacct({
    exitCode: 1,
    stdout: "",
    stderr: "sacct: error: Slurm accounting storage is disabled\n",
  });
  assert.match(listing.failure ?? "", /accounting storage is disabled/);
});

test("scancel: a permission error is a refusal", () => {
  assert.throws(() =>
    parseScancel({
      exitCode: 1,
      stdout: "",
      stderr: "scancel: error: Kill job error on job id 5: Access/permission denied\n",
    }),
  );
});

const samples = fixtures.flatMap((f) => [f.stdout, f.stderr]);
test("property: squeue and sacct parsers never throw on garbage", () => {
  assertNeverThrows(parseSqueue, samples);
  assertNeverThrows(parseSqueueNames, samples);
  assertNeverThrows(parseSacct, samples);
});
test("property: sbatch and scancel parsers throw only SchedulerError", () => {
  assertThrowsOnlySchedulerError(parseSbatch, samples);
  assertThrowsOnlySchedulerError(parseScancel, samples);
});
