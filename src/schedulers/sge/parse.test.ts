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
import { parseQacct, parseQdel, parseQstatXml, parseQsubTerse, sgeState } from "./parse.ts";

const fixtures = loadFixtures("sge");

for (const fixture of fixtures) {
  test(`golden: ${fixture.name}`, () => {
    const program = fixture.command[0] === "sh" ? "qacct" : fixture.command[0];
    if (fixture.name.endsWith("directives-quoting.yaml")) {
      assert.match(fixture.stdout, /quoting dir\n/); // the job ran in the quoted -wd and wrote to the quoted -o
      return;
    }
    if (program === "qsub") assertSubmitMatches(fixture, parseQsubTerse);
    else if (program === "qstat") assertListingMatches(fixture, parseQstatXml(fixture));
    else if (program === "qacct") assertListingMatches(fixture, parseQacct(fixture));
    else if (program === "qdel") assertCancelMatches(fixture, parseQdel);
    else assert.fail(`no parser for ${fixture.command.join(" ")}`);
  });
}

test("qstat state letters: error beats everything, started beats waiting", () => {
  assert.equal(sgeState("Eqw"), "failed");
  assert.equal(sgeState("hqw"), "queued");
  assert.equal(sgeState("qw"), "queued");
  assert.equal(sgeState("r"), "running");
  assert.equal(sgeState("t"), "running");
  assert.equal(sgeState("dr"), "running");
  assert.equal(sgeState("Rr"), "running");
  assert.equal(sgeState("S"), "running");
  assert.equal(sgeState("z"), "unknown");
});

test("qstat failures are not listings", () => {
  const down = parseQstatXml({
    exitCode: 1,
    stdout: "",
    stderr: "error: commlib error: got select error (Connection refused)\n",
  });
  assert.match(down.failure ?? "", /Connection refused/);
  const banner = parseQstatXml({ exitCode: 0, stdout: "Welcome to the cluster!\n", stderr: "" });
  assert.match(banner.failure ?? "", /no XML job list/);
});

test("qacct: a broken accounting file is a failure, unknown ids are not", () => {
  const broken = parseQacct({ exitCode: 0, stdout: "", stderr: 'error: can\'t open accounting file "/x"\n' });
  assert.notEqual(broken.failure, null);
  const unknown = parseQacct({ exitCode: 0, stdout: "", stderr: "error: job id 5 not found\n" });
  assert.equal(unknown.failure, null);
  assert.equal(unknown.jobs.size, 0);
});

test("qacct: memory-only limit enforced by qmaster reads as out-of-memory", () => {
  const stdout = [
    "==============================================================",
    "jobnumber    9",
    "taskid       undefined",
    "failed       37  : qmaster enforced h_rt, h_cpu, or h_vmem limit",
    "exit_status  137                  (Killed)",
    "category     -l h_vmem=100M",
  ].join("\n");
  const job = parseQacct({ exitCode: 0, stdout, stderr: "" }).jobs.get("9");
  assert.equal(job?.state, "out-of-memory");
  assert.equal(job?.exitCode, 137);
});

test("qacct: a job that failed before its script ran has no exit code", () => {
  const stdout =
    "===\njobnumber 7\ntaskid undefined\nfailed 28 : changing into working directory\nexit_status 0\n";
  const job = parseQacct({ exitCode: 0, stdout, stderr: "" }).jobs.get("7");
  assert.equal(job?.state, "failed");
  assert.equal(job?.exitCode, null);
  assert.match(job?.reason ?? "", /working directory/);
});

test("qdel: a permission error is a refusal", () => {
  assert.throws(() =>
    parseQdel({
      exitCode: 1,
      stdout: 'bob - you do not have the necessary privileges to delete the job "5"\n',
      stderr: "",
    }),
  );
});

const samples = fixtures.flatMap((f) => [f.stdout, f.stderr]);
test("property: qstat, qacct parsers never throw on garbage", () => {
  assertNeverThrows(parseQstatXml, samples);
  assertNeverThrows(parseQacct, samples);
});
test("property: qsub and qdel parsers throw only SchedulerError", () => {
  assertThrowsOnlySchedulerError(parseQsubTerse, samples);
  assertThrowsOnlySchedulerError(parseQdel, samples);
});
