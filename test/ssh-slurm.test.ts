/**
 * A real SLURM cluster reached only through the SSH login: the batch script goes up in one
 * writeMany, sbatch/squeue/sacct run as the test user over the transport, the result comes back
 * with a bounded read.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { SshTransport } from "../src/transport/ssh/index.ts";
import { skipUnless } from "./helpers/components.ts";
import { SshLab } from "./helpers/sshd.ts";

const skip = skipUnless("sshd", "slurm");
let lab: SshLab;
let t: SshTransport;

before(async () => {
  if (skip) return;
  lab = await SshLab.create();
  await lab.server("login");
  t = new SshTransport(lab.transportOptions("login"));
});
after(async () => {
  await t?.close();
  await lab?.[Symbol.asyncDispose]();
});

async function jobState(id: string): Promise<string> {
  const q = await t.exec({ argv: ["squeue", "-h", "-j", id, "-o", "%T"] });
  if (q.exitCode === 0 && q.stdout.trim() !== "") return q.stdout.trim();
  const a = await t.exec({ argv: ["sacct", "-n", "-X", "-P", "-j", id, "-o", "State"] });
  return a.stdout.trim() || "UNKNOWN";
}

test("sbatch and squeue as the test user over SSH; the job's result is read back", { skip }, async () => {
  const dir = lab.remoteDir();
  const name = `ferry-ssh-${process.pid}`;
  await t.writeMany([
    { path: `${dir}/input.txt`, content: "21\n" },
    {
      path: `${dir}/run.sh`,
      content: `#!/bin/sh\n#SBATCH --job-name=${name}\n#SBATCH --output=${dir}/out.txt\nexpr $(cat ${dir}/input.txt) \\* 2 > ${dir}/result.tmp && mv ${dir}/result.tmp ${dir}/result.txt\nid -un\n`,
      mode: 0o755,
    },
  ]);
  const sub = await t.exec({ argv: ["sbatch", "--parsable", "run.sh"], cwd: dir });
  assert.equal(sub.exitCode, 0, sub.stderr);
  const id = sub.stdout.trim().split(";")[0]!;
  assert.match(id, /^\d+$/);

  const listed = await t.exec({ argv: ["squeue", "-h", "-u", lab.user, "-n", name, "-o", "%i|%u|%j"] });
  const finishedAlready = listed.stdout.trim() === "";
  if (!finishedAlready) assert.equal(listed.stdout.trim(), `${id}|${lab.user}|${name}`);

  const deadline = Date.now() + 120_000;
  let state = await jobState(id);
  while (!/COMPLETED|FAILED|CANCELLED|TIMEOUT/.test(state)) {
    assert.ok(Date.now() < deadline, `job ${id} still ${state}`);
    await new Promise((r) => setTimeout(r, 300));
    state = await jobState(id);
  }
  assert.equal(state, "COMPLETED");
  assert.equal(await t.read(`${dir}/result.txt`, { within: dir, maxBytes: 100 }), "42\n");
  assert.equal(
    (await t.read(`${dir}/out.txt`, { within: dir }))?.trim(),
    lab.user,
    "the job ran as the test user",
  );
  assert.equal(fs.statSync(`${dir}/result.txt`).uid, fs.statSync(dir).uid);
});
