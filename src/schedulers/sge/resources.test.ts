import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { renderSgeDirectives } from "./resources.ts";

const issues = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues;
    throw e;
  }
  assert.fail("expected a ValidationError");
};

test("what SGE can express becomes #$ lines", () => {
  const lines = renderSgeDirectives(
    request(
      "sge",
      {
        memory: "2G",
        walltime: "2h",
        queue: "all.q",
        account: "proj1",
        reservation: "42",
        mail: { user: "me@example.org", events: ["begin", "fail"] },
        custom: ["-P", "-l scratch=10G"],
      },
      { arraySize: 3, warning: { signal: "USR1", secondsBefore: 600 }, stdoutPath: "/s/out-{index}.txt" },
    ),
  );
  assert.deepEqual(lines, [
    "#$ -S /bin/sh",
    "#$ -N ferry-job7",
    "#$ -wd /scratch/flows/f1/job7",
    '#$ -o "/s/out-$TASK_ID.txt"',
    "#$ -e /scratch/flows/f1/job7/stderr.txt",
    "#$ -l h_vmem=2048M",
    "#$ -l h_rt=2:00:00",
    "#$ -l s_rt=1:50:00",
    "#$ -q all.q",
    "#$ -A proj1",
    "#$ -ar 42",
    "#$ -M me@example.org",
    "#$ -m ba",
    "#$ -t 1-3",
    "#$ -P",
    "#$ -l scratch=10G",
  ]);
});

test("keys SGE cannot express are refused by name, with what to do instead", () => {
  const found = issues(() =>
    renderSgeDirectives(
      request("sge", {
        nodes: 2,
        cpusPerProcess: 4,
        gpus: 1,
        qos: "high",
        constraint: "avx",
        exclusive: true,
      }),
    ),
  );
  const byField = new Map(found.map((i) => [i.field, i.message]));
  assert.match(
    byField.get("qos") ?? "",
    /^sge has no qos: remove it, or pass a raw option with custom: \{sge: \[/,
  );
  assert.match(
    byField.get("nodes") ?? "",
    /parallel environment.*custom: \{sge: \["-pe <your_pe> <slots>"\]\}/,
  );
  assert.match(byField.get("cpusPerProcess") ?? "", /parallel environment/);
  assert.match(byField.get("gpus") ?? "", /-l gpu=1/);
  assert.match(byField.get("constraint") ?? "", /sge has no node features/);
  assert.match(byField.get("exclusive") ?? "", /exclusive/);
});

test("one node, one process, one CPU are simply what SGE gives", () => {
  assert.doesNotThrow(() =>
    renderSgeDirectives(request("sge", { nodes: 1, processes: 1, cpusPerProcess: 1, gpus: 0 })),
  );
});

test("the warning is SIGUSR1 from s_rt, and needs a walltime", () => {
  assert.match(
    issues(() =>
      renderSgeDirectives(
        request("sge", { walltime: 60 }, { warning: { signal: "USR2", secondsBefore: 10 } }),
      ),
    )[0]?.message ?? "",
    /SIGUSR1/,
  );
  assert.match(
    issues(() =>
      renderSgeDirectives(request("sge", {}, { warning: { signal: "USR1", secondsBefore: 10 } })),
    )[0]?.message ?? "",
    /needs a walltime/,
  );
});

test("job names are made acceptable to SGE, paths with ':' or '$' are refused", () => {
  assert.ok(renderSgeDirectives(request("sge", { jobName: "7 a/b:c" })).includes("#$ -N j7_a_b_c"));
  assert.throws(
    () => renderSgeDirectives(request("sge", {}, { stdoutPath: "/home/$USER/out" })),
    ValidationError,
  );
  assert.throws(() => renderSgeDirectives(request("sge", {}, { stderrPath: "host:/err" })), ValidationError);
});
