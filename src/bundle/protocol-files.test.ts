/** The protocol-file schemas: what run.sh writes passes; nothing else gets through. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkCheckpoint,
  checkResult,
  checkStarted,
  checkTaskError,
  checkTime,
  MAX_FUTURE_SECONDS,
  preview,
  type RunScope,
} from "./protocol-files.ts";

const now = Date.now();
const t = Math.floor(now / 1000);
const scope: RunScope = { taskCount: 3, startTask: 1, now };
const result = {
  runId: 7,
  state: "COMPLETED",
  exitCode: 0,
  signal: null,
  task: null,
  nextTask: 3,
  stopped: false,
  warning: false,
  startedAt: t - 10,
  finishedAt: t,
};

test("what the wrapper writes is accepted", () => {
  assert.ok(checkResult(result, 7, scope).ok);
  assert.ok(
    checkResult({ ...result, state: "FAILED", exitCode: 143, signal: "TERM", task: 2, nextTask: 2 }, 7, scope)
      .ok,
  );
  assert.ok(checkResult({ ...result, stopped: true, nextTask: 2 }, 7, scope).ok);
  assert.ok(
    checkStarted(
      { runId: 7, at: t, host: "node-1.cluster", pid: 4242, schedulerJobId: "123.pbs@x" },
      7,
      scope,
    ).ok,
  );
  assert.deepEqual(checkCheckpoint({ runId: 7, task: 2 }, 7, scope), { ok: true, value: { task: 2 } });
});

test("times: whole epoch seconds, not negative, at most an hour ahead", () => {
  for (const bad of [
    -5,
    1e30,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    1.5,
    "noon",
    null,
    t + MAX_FUTURE_SECONDS + 60,
  ])
    assert.equal(checkTime(bad, "at", now).ok, false, String(bad));
  assert.ok(checkTime(t + 60, "at", now).ok, "a minute of clock skew is fine");
});

test("task numbers stay within this run's tasks; results agree with themselves", () => {
  const bad: Record<string, unknown>[] = [
    { nextTask: 4 },
    { nextTask: 1e9 },
    { nextTask: "x" },
    { nextTask: -3 },
    { nextTask: 2 }, // COMPLETED before the last task without a stop
    { finishedAt: "yesterday" },
    { state: "DONE" },
    { exitCode: 1 }, // COMPLETED with an exit code
    { state: "FAILED", task: null, nextTask: 3, exitCode: 1 },
    { state: "FAILED", task: 0, nextTask: 0, exitCode: 1 }, // before this run's first task
    { state: "FAILED", task: 2, nextTask: 1, exitCode: 1 },
    { state: "FAILED", task: {}, nextTask: 2, signal: { a: 1 }, exitCode: 1 },
    { state: "FAILED", task: 2, nextTask: 2, signal: "NOPE", exitCode: 1 },
    { state: "FAILED", task: 2, nextTask: 2, exitCode: 0 },
    { runId: 8 },
  ];
  for (const b of bad) assert.equal(checkResult({ ...result, ...b }, 7, scope).ok, false, JSON.stringify(b));
  assert.equal(checkCheckpoint({ runId: 7, task: "1; touch x #" }, 7, scope).ok, false);
  assert.equal(checkCheckpoint({ runId: 7, task: 3 }, 7, scope).ok, false);
  assert.equal(checkCheckpoint({ runId: 7, task: 0 }, 7, scope).ok, false);
});

test("started.json: host and scheduler id are plain words, pid a real pid", () => {
  const ok = { runId: 7, at: t, host: "n1", pid: 42, schedulerJobId: "" };
  for (const b of [
    { host: "a b" },
    { host: "\u001b]0;x\u0007" },
    { pid: 0 },
    { pid: 2 ** 40 },
    { schedulerJobId: "1;2" },
    { at: "noon" },
  ])
    assert.equal(checkStarted({ ...ok, ...b }, 7, scope).ok, false, JSON.stringify(b));
});

test("problem messages show a short, escaped preview of the value", () => {
  const r = checkResult({ ...result, state: `\u001b[2J${"x".repeat(100)}` }, 7, scope);
  assert.ok(!r.ok);
  assert.doesNotMatch(r.problem, /\u001b/);
  assert.ok(r.problem.length < 120, r.problem);
  assert.equal(preview("\u009b"), '"\\u009b"');
});

test("error.json: strings only, cut to 16 KiB; anything else tells nothing", () => {
  assert.equal(checkTaskError("boom"), null);
  assert.equal(checkTaskError({ message: 1, stack: {} }), null);
  assert.equal(checkTaskError({ message: "x".repeat(100_000) })!.message!.length, 16 * 1024);
  assert.deepEqual(checkTaskError({ message: "a\u0000", stack: "s" }), { message: null, stack: "s" });
});
