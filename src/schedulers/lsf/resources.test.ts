import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { renderLsfDirectives } from "./resources.ts";

test("slots, span, per-host memory, minutes", () => {
  const lines = renderLsfDirectives(
    request(
      "lsf",
      {
        nodes: 2,
        processes: 8,
        cpusPerProcess: 2,
        gpus: 1,
        memory: "4G",
        walltime: 3601,
        queue: "normal",
        account: "proj1",
        reservation: "resv1",
        constraint: "avx512",
        exclusive: true,
        mail: { user: "me@example.org", events: ["begin", "end"] },
        custom: ["-app big"],
      },
      { warning: { signal: "USR2", secondsBefore: 90 }, arraySize: 3, stdoutPath: "/s/out-{index}.txt" },
    ),
  );
  assert.deepEqual(lines, [
    '#BSUB -J "ferry-job7[1-3]"',
    "#BSUB -cwd /scratch/flows/f1/job7",
    "#BSUB -o /s/out-%I.txt",
    "#BSUB -e /scratch/flows/f1/job7/stderr.txt",
    "#BSUB -n 16",
    '#BSUB -R "span[ptile=8]"',
    '#BSUB -R "rusage[mem=4096MB/host]"',
    '#BSUB -gpu "num=1"',
    "#BSUB -W 61",
    "#BSUB -wa USR2",
    "#BSUB -wt 2",
    "#BSUB -q normal",
    "#BSUB -P proj1",
    "#BSUB -U resv1",
    '#BSUB -R "select[avx512]"',
    "#BSUB -x",
    "#BSUB -u me@example.org",
    "#BSUB -B",
    "#BSUB -N",
    "#BSUB -app big",
  ]);
});

test("LSF refuses qos, failure-only mail and per-node memory without placement", () => {
  try {
    renderLsfDirectives(
      request("lsf", { qos: "x", mail: { user: "me@x.org", events: ["fail"] }, processes: 4, memory: "1G" }),
    );
    assert.fail("expected a ValidationError");
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.issues.map((i) => i.field).sort(), ["mail.events", "memory", "qos"]);
    assert.match(e.message, /lsf has no qos .*custom: \{lsf: \["-sla myclass"\]\}/);
  }
});

test("a % in an output path is refused: LSF would expand it", () => {
  assert.throws(
    () => renderLsfDirectives(request("lsf", {}, { stdoutPath: "/s/100%.txt" })),
    ValidationError,
  );
});
