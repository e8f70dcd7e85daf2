import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { request } from "../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../model/errors.ts";
import { execLocal } from "../transport/local.ts";
import { lsf } from "./lsf/index.ts";
import { pbsPro, torque } from "./pbs/index.ts";
import { getScheduler } from "./registry.ts";
import { QACCT_LOOP } from "./sge/commands.ts";
import { sge } from "./sge/index.ts";
import { SHELL_KILLER, SHELL_LAUNCHER, SHELL_SUPERVISOR } from "./shell/commands.ts";
import { shell } from "./shell/index.ts";
import { slurm } from "./slurm/index.ts";

test("SLURM: machine-readable commands", () => {
  assert.deepEqual(slurm.submitCommand(request("slurm")).argv, [
    "sbatch",
    "--parsable",
    "/scratch/flows/f1/job7/run.sh",
  ]);
  assert.deepEqual(slurm.statusCommand(["1", "2_3"]).argv, [
    "squeue",
    "--noheader",
    "--array",
    "--states=all",
    "--Format=JobArrayID:|,State:|,exit_code:|,BatchHost:|,Reason:|",
    "--jobs=1,2_3",
  ]);
  assert.deepEqual(slurm.accountingCommand(["5"])?.argv, [
    "sacct",
    "--noheader",
    "--parsable2",
    "--jobs=5",
    "--format=JobID,State,ExitCode,Start,Reason",
  ]);
  assert.deepEqual(slurm.cancelCommand(["5", "6"]).argv, ["scancel", "5", "6"]);
});

test("PBS: JSON for PBS Pro, text for TORQUE; -o/-e also on qsub's command line", () => {
  assert.deepEqual(pbsPro.statusCommand(["1.s"]).argv, ["qstat", "-f", "-F", "json", "1.s"]);
  assert.deepEqual(pbsPro.accountingCommand(["1.s"])?.argv, ["qstat", "-x", "-f", "-F", "json", "1.s"]);
  assert.deepEqual(torque.statusCommand(["1.h"]).argv, ["qstat", "-f", "1.h"]);
  assert.equal(torque.accountingCommand(["1.h"]), null);
  const submit = pbsPro.submitCommand(request("pbs", {}, { stdoutPath: "/s/o-{index}.txt" }));
  assert.deepEqual(submit.argv, [
    "qsub",
    "-o",
    "/s/o-^array_index^.txt",
    "-e",
    "/scratch/flows/f1/job7/stderr.txt",
    "/scratch/flows/f1/job7/run.sh",
  ]);
  assert.equal(submit.cwd, "/scratch/flows/f1/job7");
});

test("SGE: qstat lists by user, qacct runs once per job in one fixed sh script", () => {
  assert.deepEqual(sge.statusCommand(["1"]).argv, ["qstat", "-xml"]);
  assert.deepEqual(sge.statusCommand(["1"], { user: "alice" }).argv, ["qstat", "-xml", "-u", "alice"]);
  assert.deepEqual(sge.accountingCommand(["7", "8.2", "8.3"])?.argv, [
    "sh",
    "-c",
    QACCT_LOOP,
    "ferry-qacct",
    "7",
    "8",
  ]);
});

test("LSF: the script goes to bsub on stdin through a fixed sh line", () => {
  const spec = lsf.submitCommand(request("lsf", {}, { scriptPath: "/s/it's; rm -rf ~.sh" }));
  assert.deepEqual(spec.argv, ["sh", "-c", 'exec bsub < "$1"', "ferry-bsub", "/s/it's; rm -rf ~.sh"]);
  assert.deepEqual(lsf.statusCommand(["5", "6[2]"]).argv.slice(0, 5), [
    "bjobs",
    "-a",
    "-o",
    "jobid jobindex stat exit_code exit_reason pend_reason",
    "-json",
  ]);
});

test("shell: request values are positional parameters of fixed scripts, never shell text", () => {
  const hostile = "/tmp/$(touch pwned)/`id`;'\"";
  const spec = shell.submitCommand(
    request(
      "shell",
      { walltime: 30, jobName: hostile },
      { scriptPath: hostile, workDir: hostile, stdoutPath: hostile, stderrPath: hostile },
    ),
  );
  assert.deepEqual(spec.argv.slice(0, 3), ["sh", "-c", SHELL_LAUNCHER]);
  assert.equal(spec.argv[11], SHELL_SUPERVISOR);
  assert.deepEqual(spec.argv.slice(4, 8), [hostile, hostile, hostile, hostile]);
  assert.deepEqual(shell.cancelCommand(["123"]).argv, ["sh", "-c", SHELL_KILLER, "ferry-cancel", "123"]);
});

test("shell: a job id whose PID now belongs to another session is neither listed nor killed", async () => {
  // a session leader that is not a ferry job, like a daemon that got a reused PID
  const other = spawn("sleep", ["30"], { stdio: "ignore", detached: true }); // detached: setsid()
  await new Promise((r) => other.once("spawn", r));
  await new Promise((r) => setTimeout(r, 100));
  try {
    const id = String(other.pid);
    const listing = shell.parseStatus(await execLocal(shell.statusCommand([id])));
    assert.equal(listing.jobs.has(id), false, "not taken for a live job");
    await execLocal(shell.cancelCommand([id]));
    await new Promise((r) => setTimeout(r, 100));
    assert.doesNotThrow(() => process.kill(other.pid!, 0), "still alive");
  } finally {
    other.kill("SIGKILL");
  }
});

test("ids that are not the scheduler's are refused before any command runs", () => {
  for (const [s, bad] of [
    [slurm, "1;rm"],
    [pbsPro, "1 2"],
    [sge, "x"],
    [lsf, "-1"],
    [shell, "0"],
  ] as const) {
    assert.throws(() => s.statusCommand([bad]), ValidationError, s.name);
    assert.throws(() => s.cancelCommand([bad]), ValidationError, s.name);
  }
});

test("the registry hands out the TORQUE flavour on request", () => {
  assert.deepEqual(getScheduler("pbs", { pbsFlavor: "torque" }).statusCommand(["1"]).argv, [
    "qstat",
    "-f",
    "1",
  ]);
});
