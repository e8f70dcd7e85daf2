/**
 * The SIGKILL trial (test/helpers/sigkill-trial.ts) on a managed worker reached over SSH (a real
 * sshd on loopback, the shell scheduler on its side, the scheduler wrapper run there as the
 * login user): every job COMPLETED, each ran once, one submission per job.
 */
import { chownSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { skipUnless } from "./helpers/components.ts";
import { sigkillTrial } from "./helpers/sigkill-trial.ts";
import { SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd");
let lab: SshLab;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  await lab.server("login");
});
after(async () => {
  await lab?.[Symbol.asyncDispose]();
});

test("over SSH: the runner killed with SIGKILL at 24 steps: every job COMPLETED, none lost, none submitted or run twice", {
  skip,
}, async (ctx) => {
  const remote = lab.remoteDir();
  const shared = join(remote, "faults");
  mkdirSync(shared);
  const owner = statSync(remote);
  chownSync(shared, owner.uid, owner.gid);
  await sigkillTrial(ctx, {
    worker: (commandPrefix) => ({
      mode: "managed",
      host: "login",
      ssh: { configFile: lab.configFile },
      scheduler: "shell",
      workDir: join(remote, "runs"),
      heartbeatSeconds: 1,
      statusIntervalSeconds: 0.5,
      cycleSeconds: 0.5,
      maxQueued: 2,
      commandPrefix,
    }),
    sharedDir: shared,
    runsDir: () => join(remote, "runs"),
  });
});
