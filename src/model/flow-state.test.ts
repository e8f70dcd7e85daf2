import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveFlowState } from "./flow-state.ts";

test("flow state rule", () => {
  assert.equal(deriveFlowState({ WAITING: 3 }, 0), "WAITING");
  assert.equal(deriveFlowState({ READY: 1, WAITING: 2 }, 0), "READY");
  assert.equal(deriveFlowState({ COMPLETED: 1, READY: 1, WAITING: 2 }, 0), "RUNNING");
  assert.equal(deriveFlowState({ RUNNING: 1, WAITING: 2 }, 0), "RUNNING");
  assert.equal(deriveFlowState({ SUBMITTED: 1, FAILED: 1 }, 1), "RUNNING");
  assert.equal(deriveFlowState({ COMPLETED: 4 }, 0), "COMPLETED");
  assert.equal(deriveFlowState({ COMPLETED: 3, ARCHIVED: 2 }, 0), "COMPLETED");
  assert.equal(deriveFlowState({ ARCHIVED: 2 }, 0), "ARCHIVED");
  // a failure absorbed by a child that runs after failed parents does not fail the flow
  assert.equal(deriveFlowState({ COMPLETED: 2, FAILED: 1 }, 0), "COMPLETED");
  assert.equal(deriveFlowState({ COMPLETED: 2, FAILED: 1, WAITING: 1 }, 1), "FAILED");
  assert.equal(deriveFlowState({ COMPLETED: 2, PAUSED: 1 }, 0), "PAUSED");
  assert.equal(deriveFlowState({ COMPLETED: 2, CANCELLED: 1, WAITING: 2 }, 0), "CANCELLED");
  assert.equal(deriveFlowState({ COMPLETED: 2, HELD: 1 }, 0), "HELD");
  assert.equal(deriveFlowState({}, 0), "WAITING");
});
