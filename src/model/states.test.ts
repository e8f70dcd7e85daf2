import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ACTIVE_STATES,
  assertTransition,
  canTransition,
  InvalidTransitionError,
  JOB_STATES,
  TRANSITIONS,
} from "./states.ts";

test("every state has a row in the transition table, and every target is a state", () => {
  for (const s of JOB_STATES) {
    assert.ok(Array.isArray(TRANSITIONS[s]), s);
    for (const t of TRANSITIONS[s]) assert.ok(JOB_STATES.includes(t), `${s} → ${t}`);
  }
});

test("ARCHIVED is final; COMPLETED only leaves by rerun or archive", () => {
  assert.deepEqual(TRANSITIONS.ARCHIVED, []);
  assert.deepEqual([...TRANSITIONS.COMPLETED].sort(), ["ARCHIVED", "READY", "WAITING"]);
});

test("pull mode goes READY → RUNNING; offline goes through RESERVED", () => {
  assert.ok(canTransition("READY", "RUNNING"));
  assert.ok(canTransition("READY", "RESERVED"));
  assert.ok(canTransition("RESERVED", "STAGED"));
  assert.ok(canTransition("STAGED", "SUBMITTED"));
  assert.ok(canTransition("SUBMITTED", "RUNNING"));
  assert.ok(canTransition("RUNNING", "FINISHED"));
  assert.ok(canTransition("FINISHED", "COMPLETED"));
});

test("a job cannot complete without having run, nor be paused while running", () => {
  assert.equal(canTransition("WAITING", "COMPLETED"), false);
  assert.equal(canTransition("READY", "COMPLETED"), false);
  assert.equal(canTransition("RUNNING", "PAUSED"), false);
  assert.throws(
    () => assertTransition("WAITING", "RUNNING", 7),
    (e: Error) => e instanceof InvalidTransitionError && /job 7: WAITING → RUNNING/.test(e.message),
  );
});

test("every active state can be cancelled, held, or reset by a rerun", () => {
  for (const s of ACTIVE_STATES) {
    for (const t of ["CANCELLED", "HELD", "READY", "WAITING"] as const)
      assert.ok(canTransition(s, t), `${s} → ${t}`);
  }
});
