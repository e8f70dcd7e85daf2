/** run.sh and env.sh hold only what sh reads back as data (issue #8). Real sh. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/helpers/stores.ts";
import { ValidationError } from "../model/errors.ts";
import type { Task } from "../model/types.ts";
import { LocalTransport } from "../transport/local.ts";
import { collectOutcome, readRunFiles } from "./collect.ts";
import { bundlePaths } from "./layout.ts";
import { runScope } from "./protocol-files.ts";
import {
  exportedInputs,
  MAX_EXPORTED_INPUTS_BYTES,
  renderEnvFile,
  renderWrapper,
  type WrapperOptions,
} from "./wrapper.ts";
import { writeBundle } from "./write.ts";

const base: WrapperOptions = {
  launchDir: "/scratch/run",
  runId: 3,
  attempt: 1,
  jobId: 2,
  jobName: "a",
  flowId: 1,
  tasks: [{ kind: "sh", command: "true" }],
  startTask: 0,
  heartbeatSeconds: 30,
  directives: [],
  node: "node",
  python: "python3",
  ferryVersion: "0.1.0",
};

const refused = (o: Partial<WrapperOptions>, field: RegExp) =>
  assert.throws(
    () => renderWrapper({ ...base, ...o }),
    (e: Error) => e instanceof ValidationError && field.test(e.message),
  );

test("a task number or id that is not a whole number in range is refused, never pasted", () => {
  refused({ startTask: "1; touch x #" as never }, /startTask/);
  refused({ startTask: 2 }, /"startTask": must be a whole number from 0 to 1/);
  refused({ startTask: -1 }, /startTask/);
  refused({ startTask: 0.5 }, /startTask/);
  refused({ runId: Number.NaN }, /runId/);
  refused({ heartbeatSeconds: Number.POSITIVE_INFINITY }, /heartbeatSeconds/);
  refused({ launchDir: "/a\u0000b" }, /"launchDir": contains a NUL/);
  refused({ directives: ["#SBATCH --x\ntouch y"] }, /directives\[0\]/);
  refused(
    { tasks: [{ kind: "sh", command: "true", env: { "A;B": "x" } }] },
    /not an environment variable name/,
  );
});

test("comments hold no path or name; sh reads the path back exactly", () => {
  const launchDir = "/a\nrm -rf ~ #'\"$(x)`y`\\";
  const script = renderWrapper({ ...base, launchDir, jobName: "n\nm" });
  for (const line of script.split("\n").filter((l) => l.startsWith("#")))
    assert.doesNotMatch(line, /rm -rf|\/a|n\nm/, line);
  const assignment = script.split("\n").find((l) => l.startsWith("FERRY_DEFAULT_LAUNCH_DIR="))!;
  // the assignment spans lines (the path holds a newline): evaluate everything up to the next variable
  const upTo = script.slice(script.indexOf(assignment), script.indexOf("\nFERRY_LAUNCH_DIR="));
  const r = spawnSync("sh", ["-c", `${upTo}\nprintf %s "$FERRY_DEFAULT_LAUNCH_DIR"`], { encoding: "utf8" });
  assert.equal(r.stdout, launchDir);
});

test("env.sh: an input with a NUL is not exported (it stays in inputs.json); none holds a NUL", () => {
  const env = renderEnvFile({ nul: "a\u0000b", ok: "fine" }, { W: "v" });
  assert.doesNotMatch(env, /\u0000/);
  assert.doesNotMatch(env, /FERRY_IN_nul/);
  assert.match(env, /export FERRY_IN_ok=fine/);
  assert.throws(() => renderEnvFile({}, { W: "a\u0000" }), ValidationError);
});

test("env.sh: each exported input at most 64 KiB of UTF-8, all of them at most 256 KiB", () => {
  const inputs: Record<string, string> = { big: "€".repeat(30_000) }; // 90 KB of UTF-8, 30,000 characters
  for (let i = 0; i < 20; i++) inputs[`k${i}`] = "x".repeat(30_000);
  const out = exportedInputs(inputs);
  assert.ok(!out.some(([k]) => k === "big"));
  const total = out.reduce((n, [k, v]) => n + Buffer.byteLength(`FERRY_IN_${k}=${v}`) + 1, 0);
  assert.ok(total <= MAX_EXPORTED_INPUTS_BYTES, `${total} bytes exported`);
  assert.equal(out.length, 8);
});

test("a task with a 150 KB input runs (it reads inputs.json); the small input is in its environment", async () => {
  const local = new LocalTransport();
  const launchDir = join(tempDir(), "run");
  const tasks: Task[] = [
    {
      kind: "sh",
      command: `n=$(node -e 'process.stdout.write(String(require(process.env.FERRY_INPUTS).big.length))'); echo "{\\"n\\": $n, \\"small\\": \\"$FERRY_IN_small\\", \\"exported\\": \\"\${FERRY_IN_big+yes}\\"}" > "$FERRY_OUTPUTS"`,
    },
  ];
  await writeBundle(local, {
    launchDir,
    runId: 5,
    attempt: 1,
    job: { id: 1, name: "a", flowId: 1, tasks },
    inputs: { big: "€".repeat(50_000), small: "s" },
    recovery: null,
    heartbeatSeconds: 0,
    node: process.execPath,
    cacheDir: null,
  });
  const r = spawnSync("sh", [bundlePaths(launchDir).script], {
    env: { ...process.env, PATH: `${join(process.execPath, "..")}:${process.env.PATH}` },
  });
  assert.equal(r.status, 0, readFileSync(bundlePaths(launchDir).task(0).stderr, "utf8"));
  const files = await readRunFiles(local, launchDir, 5, runScope({ tasks }, null));
  const outcome = await collectOutcome(local, launchDir, files.result!, tasks, null);
  assert.deepEqual(outcome.outputs, { n: 50_000, small: "s", exported: "" });
});
