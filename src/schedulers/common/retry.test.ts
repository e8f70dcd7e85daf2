import assert from "node:assert/strict";
import { test } from "node:test";
import type { CommandOutput, CommandSpec } from "../../transport/types.ts";
import { sge } from "../sge/index.ts";
import { shell } from "../shell/index.ts";
import { slurm } from "../slurm/index.ts";
import { execIdempotent, isTransient } from "./retry.ts";

const out = (exitCode: number | null, stderr = ""): CommandOutput => ({ exitCode, stdout: "", stderr });

/** An exec that answers from a script of outputs, recording each call and each wait. */
function scripted(answers: CommandOutput[]) {
  const calls: CommandSpec[] = [];
  const waits: number[] = [];
  return {
    calls,
    waits,
    exec: async (spec: CommandSpec) => {
      calls.push(spec);
      return answers[Math.min(calls.length - 1, answers.length - 1)]!;
    },
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

const busy = "scancel: error: Kill job error on job id 12: Socket timed out on send/recv operation\n";

test("a busy slurmctld is asked again, with growing waits, until it answers", async () => {
  const s = scripted([out(1, busy), out(1, busy), out(0)]);
  const result = await execIdempotent(s.exec, slurm, { argv: ["scancel", "12"] }, { sleep: s.sleep });
  assert.equal(result.exitCode, 0);
  assert.equal(result.attempts, 3);
  assert.deepEqual(s.waits, [1000, 3000]);
});

test("a refusal is not retried: the caller's parser reports it", async () => {
  const s = scripted([out(1, "scancel: error: Kill job error on job id 12: Access/permission denied\n")]);
  const result = await execIdempotent(s.exec, slurm, { argv: ["scancel", "12"] }, { sleep: s.sleep });
  assert.equal(result.attempts, 1);
  assert.match(result.stderr, /permission denied/);
  assert.throws(() => slurm.parseCancel(result, ["12"]), /permission denied/);
});

test("retries stop after the last delay and hand back the last failure", async () => {
  const s = scripted([out(null, "")]);
  const result = await execIdempotent(
    s.exec,
    sge,
    { argv: ["qdel", "7"] },
    { sleep: s.sleep, delaysMs: [10, 20] },
  );
  assert.equal(result.attempts, 3);
  assert.equal(result.exitCode, null);
  assert.deepEqual(s.waits, [10, 20]);
});

test("what counts as transient, per scheduler", () => {
  assert.ok(
    isTransient(slurm, out(1, "squeue: error: Unable to contact slurm controller (connect failure)")),
  );
  assert.ok(
    isTransient(
      sge,
      out(1, "error: commlib error: got select error (Connection refused)\nunable to contact qmaster"),
    ),
  );
  assert.ok(isTransient(slurm, out(null)), "a command killed at its own time limit");
  assert.ok(!isTransient(slurm, out(0, "Socket timed out")), "success is never retried");
  assert.ok(!isTransient(slurm, out(1, "scancel: error: Invalid job id specified")));
  assert.ok(!isTransient(shell, out(1, "kill: (123) - Operation not permitted")));
});

test("a controller that lets every call hang to its timeout gets one more try, not three", async () => {
  let clock = 0;
  const calls: number[] = [];
  const hanging = async () => {
    calls.push(clock);
    clock += 60_000; // killed at the command's 60 s limit
    return out(null);
  };
  const result = await execIdempotent(
    hanging,
    slurm,
    { argv: ["scancel", "12"] },
    {
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    },
  );
  assert.equal(result.attempts, 2);
  assert.deepEqual(calls, [0, 61_000]);
});
