import assert from "node:assert/strict";
import { test } from "node:test";
import { SshTransportError } from "../transport/ssh/index.ts";
import { backoffDelay, judgeFailure } from "./backoff.ts";

const policy = { baseMs: 2000, maxMs: 300_000, maxFailures: 5 };

test("the wait doubles from the base and stops at the cap", () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 8, 9, 100].map((n) => backoffDelay(n, policy)),
    [0, 2000, 4000, 8000, 16_000, 256_000, 300_000, 300_000],
  );
});

test("backoff until maxFailures, then unreachable; a refused login needs a person at once", () => {
  const down = new SshTransportError("ssh: cannot reach hpc", {
    reason: "unreachable",
    outcome: "not-run",
    host: "hpc",
  });
  assert.equal(judgeFailure(down, 4, policy).state, "backoff");
  assert.equal(judgeFailure(down, 5, policy).state, "unreachable");
  const auth = new SshTransportError("ssh: login to hpc failed", {
    reason: "auth",
    outcome: "not-run",
    host: "hpc",
  });
  const v = judgeFailure(auth, 1, policy);
  assert.equal(v.state, "needs-login");
  assert.match(v.message, /ferry runner start --foreground/);
  const key = new SshTransportError("ssh: unknown host key SHA256:x", {
    reason: "host-key",
    outcome: "not-run",
    host: "hpc",
  });
  assert.deepEqual(judgeFailure(key, 1, policy), {
    state: "unreachable",
    message: "ssh: unknown host key SHA256:x",
  });
  assert.equal(judgeFailure(new Error("sbatch: command not found"), 1, policy).state, "backoff");
});
