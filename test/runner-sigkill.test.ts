/**
 * The runner killed with SIGKILL at 24 different steps on a local managed worker (shell
 * scheduler), a new runner started each time: every job COMPLETED, each ran once, and the
 * scheduler accepted exactly one submission per job (test/helpers/sigkill-trial.ts).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { managedLocal } from "./helpers/runner.ts";
import { sigkillTrial } from "./helpers/sigkill-trial.ts";
import { dialects } from "./helpers/stores.ts";

test("the runner killed with SIGKILL at 24 steps, a new one each time: every job COMPLETED, none lost, none submitted or run twice", {
  skip: dialects()[0]!.skip,
}, async (ctx) => {
  await sigkillTrial(ctx, {
    worker: (commandPrefix) => managedLocal({ maxQueued: 2, commandPrefix }).hpc,
    sharedDir: mkdtempSync(join(tmpdir(), "ferry-faults-")),
    runsDir: (projectDir) => join(projectDir, "runs"),
  });
});
