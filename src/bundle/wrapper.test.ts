/** run.sh under a real POSIX sh: what a compute node would do with a bundle. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers/stores.ts";
import type { Task } from "../model/types.ts";
import { LocalTransport } from "../transport/local.ts";
import { collectOutcome, readRunFiles } from "./collect.ts";
import { bundlePaths } from "./layout.ts";
import { writeBundle } from "./write.ts";

const local = new LocalTransport();

async function bundle(
  tasks: Task[],
  inputs: Record<string, unknown> = {},
  extra: { heartbeatSeconds?: number } = {},
) {
  const launchDir = join(tempDir(), "launch dir with 'quotes'");
  await writeBundle(local, {
    launchDir,
    runId: 41,
    attempt: 1,
    job: { id: 7, name: "job's name", flowId: 3, tasks },
    inputs: inputs as never,
    recovery: null,
    heartbeatSeconds: extra.heartbeatSeconds ?? 0,
    env: { WORKER_VAR: "from worker" },
    node: process.execPath,
    cacheDir: null,
  });
  return launchDir;
}

function run(launchDir: string, onStart?: (pid: number) => void) {
  return new Promise<number | null>((resolve) => {
    const child = spawn("sh", [bundlePaths(launchDir).script], { stdio: "ignore", detached: true });
    child.on("spawn", () => onStart?.(child.pid!));
    child.on("exit", (code) => resolve(code));
  });
}

async function outcome(launchDir: string, tasks: Task[]) {
  const files = await readRunFiles(local, launchDir, 41);
  assert.ok(files.result, `no result: ${JSON.stringify(files.problems)}`);
  return { files, outcome: await collectOutcome(local, launchDir, files.result, tasks, null) };
}

test("tasks get their inputs safely and return outputs through files; outputs merge", async () => {
  const tasks: Task[] = [
    { kind: "sh", command: `printf '{"a": 1, "msg": "%s"}' "$FERRY_IN_text" > "$FERRY_OUTPUTS"` },
    {
      kind: "sh",
      command: `echo "{\\"b\\": $FERRY_IN_n, \\"w\\": \\"$WORKER_VAR\\", \\"k\\": \\"$K\\"}" > "$FERRY_OUTPUTS"`,
      env: { K: "v" },
    },
  ];
  const dir = await bundle(tasks, {
    text: "it's $(rm -rf nothing) `x`",
    n: 5,
    list: [1, 2],
    "not a name": 1,
  });
  assert.equal(await run(dir), 0);
  const { outcome: o, files } = await outcome(dir, tasks);
  assert.equal(o.state, "COMPLETED");
  assert.deepEqual(o.outputs, { a: 1, msg: "it's $(rm -rf nothing) `x`", b: 5, w: "from worker", k: "v" });
  assert.equal(files.checkpoint?.task, 1);
  assert.ok(files.started?.pid);
  const inputs = JSON.parse(readFileSync(bundlePaths(dir).inputs, "utf8"));
  assert.deepEqual(inputs.list, [1, 2]);
});

test("a failing task stops the job with its exit code and stderr; later tasks do not run", async () => {
  const tasks: Task[] = [
    { kind: "sh", command: `echo '{"first": true}' > "$FERRY_OUTPUTS"` },
    { kind: "sh", command: "echo 'Segmentation fault (core dumped)' >&2; exit 139", name: "solver" },
    { kind: "sh", command: "touch never-ran" },
  ];
  const dir = await bundle(tasks);
  assert.equal(await run(dir), 139);
  const { outcome: o } = await outcome(dir, tasks);
  assert.equal(o.state, "FAILED");
  assert.equal(o.exitCode, 139);
  assert.equal(o.error?.task, 1);
  assert.match(o.error!.message, /task 1 "solver" \(sh\) exited with code 139/);
  assert.match(o.error!.stack!, /Segmentation fault/);
  assert.deepEqual(o.taskOutputs, [{ first: true }]);
  assert.equal(o.checkpoint.task, 1);
  assert.equal(existsSync(join(dir, "never-ran")), false);
});

test("SIGTERM kills the running task tree and is recorded with the checkpoint; USR1 is a walltime warning", async () => {
  // durations unique to this run: the process table is shared with everything else on the machine
  const a = 30000 + Math.floor(Math.random() * 9999);
  const tasks: Task[] = [
    { kind: "sh", command: "true" },
    { kind: "sh", command: `sh -c 'sleep ${a}' & sleep ${a + 1}` },
  ];
  const dir = await bundle(tasks);
  let pid = 0;
  const done = run(dir, (p) => {
    pid = p;
  });
  const p = bundlePaths(dir);
  for (
    let i = 0;
    i < 100 && !(existsSync(p.checkpoint) && readFileSync(p.checkpoint, "utf8").includes('"task":1'));
    i++
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  process.kill(pid, "SIGUSR1");
  await new Promise((r) => setTimeout(r, 200));
  process.kill(pid, "SIGTERM");
  assert.equal(await done, 143);
  const { outcome: o, files } = await outcome(dir, tasks);
  assert.ok(files.warning, "warning recorded");
  assert.equal(o.state, "FAILED");
  assert.equal(o.error?.signal, "TERM");
  assert.equal(o.error?.reason, "walltime");
  assert.equal(o.checkpoint.task, 1);
  const ps = await local.exec({
    argv: ["sh", "-c", `ps -A -o args= | grep -c '^sleep ${a}\\|^sleep ${a + 1}' || true`],
  });
  assert.equal(ps.stdout.trim(), "0", "no task process left behind");
});

test("a task can skip the remaining tasks by creating $FERRY_STOP", async () => {
  const tasks: Task[] = [
    { kind: "sh", command: `echo 1 > "$FERRY_OUTPUTS"; touch "$FERRY_STOP"` },
    { kind: "sh", command: "touch never-ran" },
  ];
  const dir = await bundle(tasks);
  assert.equal(await run(dir), 0);
  const { outcome: o, files } = await outcome(dir, tasks);
  assert.equal(o.state, "COMPLETED");
  assert.equal(files.result?.stopped, true);
  assert.equal(o.outputs, 1);
  assert.equal(existsSync(join(dir, "never-ran")), false);
});

test("js tasks run from the bundled worker.mjs; exceptions keep their stack", async () => {
  const mod = join(tempDir(), "tasks.mjs");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    mod,
    "export const double = ({ x }) => ({ y: x * 2 });\nexport function boom() { throw new RangeError('bad value 42'); }\n",
  );
  const tasks: Task[] = [
    { kind: "js", module: mod, export: "double" },
    { kind: "js", module: mod, export: "boom" },
  ];
  const dir = await bundle(tasks, { x: 21 });
  assert.equal(await run(dir), 1);
  const { outcome: o } = await outcome(dir, tasks);
  assert.deepEqual(o.taskOutputs, [{ y: 42 }]);
  assert.match(o.error!.message, /task 1 \(js\) threw: bad value 42/);
  assert.match(o.error!.stack!, /RangeError: bad value 42\n\s+at boom/);
});

test("a heartbeat file is kept fresh while the job runs", async () => {
  const tasks: Task[] = [{ kind: "sh", command: "sleep 2.5" }];
  const dir = await bundle(tasks, {}, { heartbeatSeconds: 1 });
  const started = Math.floor(Date.now() / 1000);
  assert.equal(await run(dir), 0);
  const { files } = await outcome(dir, tasks);
  assert.ok(
    files.heartbeat !== null && files.heartbeat >= started + 2,
    `heartbeat ${files.heartbeat} vs start ${started}`,
  );
});

test("collecting a result whose task wrote invalid JSON fails the job clearly", async () => {
  const tasks: Task[] = [{ kind: "sh", command: `echo '{not json' > "$FERRY_OUTPUTS"` }];
  const dir = await bundle(tasks);
  assert.equal(await run(dir), 0);
  const { outcome: o } = await outcome(dir, tasks);
  assert.equal(o.state, "FAILED");
  assert.match(o.error!.message, /invalid file: cannot parse .*tasks\/0\/output\.json/);
});
