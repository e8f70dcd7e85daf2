import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../../../test/fixtures/schedulers/requests.ts";
import { ValidationError } from "../../model/errors.ts";
import { checkShellRequest } from "./resources.ts";

test("a walltime and a warning are honoured; trivial requests pass", () => {
  assert.deepEqual(
    checkShellRequest(
      request(
        "shell",
        { walltime: 60, nodes: 1, processes: 1, cpusPerProcess: 1, gpus: 0, jobName: "x" },
        {
          warning: { signal: "USR1", secondsBefore: 10 },
        },
      ),
    ),
    [],
  );
});

test("everything a local process cannot honour is refused by name", () => {
  try {
    checkShellRequest(
      request(
        "shell",
        { memory: "1G", queue: "q", nodes: 2, custom: ["--x"], exclusive: true },
        { arraySize: 2 },
      ),
    );
    assert.fail("expected a ValidationError");
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.deepEqual(e.issues.map((i) => i.field).sort(), [
      "arraySize",
      "custom",
      "exclusive",
      "memory",
      "nodes",
      "queue",
    ]);
    assert.match(e.message, /shell scheduler runs one local process and cannot/);
  }
});

test("a warning without a walltime has nothing to come before", () => {
  assert.throws(
    () => checkShellRequest(request("shell", {}, { warning: { signal: "USR1", secondsBefore: 5 } })),
    /needs a walltime/,
  );
});
