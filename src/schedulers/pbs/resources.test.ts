import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { renderPbsDirectives } from "./resources.ts";

test("PBS Pro: nodes × processes per node × threads become one select chunk, scattered", () => {
  const lines = renderPbsDirectives(
    request(
      "pbs",
      {
        nodes: 2,
        processes: 8,
        cpusPerProcess: 2,
        gpus: 1,
        memory: "8G",
        walltime: 5400,
        queue: "workq",
        account: "proj1",
        exclusive: true,
        mail: { user: "me@example.org", events: ["begin", "end", "fail"] },
        custom: ["-V"],
      },
      { arraySize: 4, stdoutPath: "/s/out-{index}.txt" },
    ),
    "pbspro",
  );
  assert.deepEqual(lines, [
    "#PBS -N ferry-job7",
    "#PBS -o /s/out-^array_index^.txt",
    "#PBS -e /scratch/flows/f1/job7/stderr.txt",
    "#PBS -l select=2:ncpus=8:mpiprocs=4:ompthreads=2:ngpus=1:mem=8192mb",
    "#PBS -l place=scatter:excl",
    "#PBS -l walltime=1:30:00",
    "#PBS -q workq",
    "#PBS -A proj1",
    "#PBS -M me@example.org",
    "#PBS -m bea",
    "#PBS -J 1-4",
    "#PBS -V",
  ]);
});

test("PBS Pro: processes without nodes are one chunk per process; a reservation is its queue", () => {
  const lines = renderPbsDirectives(request("pbs", { processes: 6, reservation: "R123" }), "pbspro");
  assert.ok(lines.includes("#PBS -l select=6:ncpus=1:mpiprocs=1"));
  assert.ok(lines.includes("#PBS -q R123"));
});

test("TORQUE: nodes=N:ppn=P, whole-job mem, -t arrays", () => {
  const lines = renderPbsDirectives(
    request(
      "pbs",
      { nodes: 2, processesPerNode: 4, cpusPerProcess: 2, gpus: 2, memory: "1G" },
      { arraySize: 3 },
    ),
    "torque",
  );
  assert.ok(lines.includes("#PBS -l nodes=2:ppn=8:gpus=2"));
  assert.ok(lines.includes("#PBS -l mem=2048mb"));
  assert.ok(lines.includes("#PBS -t 1-3"));
});

test("PBS refuses what it cannot express, naming each key", () => {
  try {
    renderPbsDirectives(
      request(
        "pbs",
        { qos: "high", constraint: "a100", processes: 4, memory: "1G" },
        { warning: { signal: "USR1", secondsBefore: 60 } },
      ),
      "pbspro",
    );
    assert.fail("expected a ValidationError");
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    const fields = e.issues.map((i) => i.field);
    assert.deepEqual(fields.sort(), ["constraint", "memory", "qos", "warning"]);
    assert.match(e.message, /pbs has no qos: remove it, or pass a raw option with custom: \{pbs: \[/);
    assert.match(e.message, /cannot signal before the walltime/);
  }
});

test("PBS output paths with blanks or ':' are refused", () => {
  assert.throws(
    () => renderPbsDirectives(request("pbs", {}, { stdoutPath: "/a b/out" }), "pbspro"),
    ValidationError,
  );
  assert.throws(
    () => renderPbsDirectives(request("pbs", {}, { stdoutPath: "/a:b/out" }), "torque"),
    ValidationError,
  );
});
