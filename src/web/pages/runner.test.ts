/** The runner panel as HTML: what a person reads in it, escaped and cut where it must be. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunnerStatus } from "../backend.ts";
import { runnerPanel } from "./runner.ts";

const NOW = 1_800_000_000_000;

function status(lastError: string): RunnerStatus {
  return {
    runners: [
      {
        id: "r1",
        host: "login1",
        pid: 4242,
        startedAt: NOW - 3_600_000,
        heartbeatAt: NOW - 125_000,
        live: true,
        stopRequested: true,
      },
    ],
    workers: [
      {
        worker: "hpc",
        host: "login1",
        state: "backoff",
        runner: "r1",
        queued: 3,
        running: 2,
        lastError,
        lastCycleAt: NOW - 10_000,
        nextCycleAt: NOW + 29_500,
      },
    ],
  };
}

test("the runner panel escapes and cuts a long last error, keeping the whole text in its title", () => {
  const error = `<script>alert(1)</script> ${"x".repeat(400)}`;
  const out = runnerPanel(status(error), NOW).value;
  assert.doesNotMatch(out, /<script>/);
  const cell = /<span class="last-error" title="([^"]*)">([^<]*)<\/span>/.exec(out);
  assert.ok(cell, out);
  assert.equal(cell[1], `&lt;script&gt;alert(1)&lt;/script&gt; ${"x".repeat(400)}`);
  assert.ok(cell[2]!.endsWith("…"));
  assert.equal(cell[2]!.replace(/&\w+;/g, "_").length, 301, "300 characters and the ellipsis");
});

test("heartbeat age, stop requested, holder and next cycle read as `ferry runner status` says them", () => {
  const out = runnerPanel(status("timed out"), NOW).value;
  assert.match(out, /<td class="heartbeat">2m ago<\/td>/);
  assert.match(out, /yes: stopping after the step in progress/);
  assert.match(out, /<td class="holder">pid 4242 on login1<\/td>/);
  assert.match(out, /<td class="next-cycle">in 30 s<\/td>/);
  assert.match(out, /class="rs rs-backoff"/);
  assert.doesNotMatch(out, /stop-runner/, "every live runner is already stopping: no stop button");
  assert.doesNotMatch(out, /needs a login/);
});
