/**
 * Property-based: arbitrary bytes, JSON of any type and any file kind (regular, FIFO, directory,
 * link inside or outside the launch dir, link loop, 80 MiB) in every bundle file never hang
 * `offline recover`, never make a verdict of a result.json that is not a valid result, never
 * stop the other runs of the same recover from being collected, and never leave a value in the
 * database that would reach a script unvalidated (issue #8). Fixed seed, printed on failure.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { offlineRecover } from "../src/offline/recover.ts";
import {
  completedResult,
  type HostileRun,
  offlineProject,
  submittedRuns,
  writeJson,
} from "./bundle-hostile.test-support.ts";
import { dialects } from "./helpers/stores.ts";

const SEED = Number(process.env.FERRY_FUZZ_SEED ?? 20_240_808);
const HOSTILE_RUNS = 3;

type Kind =
  | { kind: "absent" }
  | { kind: "bytes"; data: Uint8Array }
  | { kind: "json"; text: string }
  | { kind: "fifo" | "dir" | "link-in" | "loop" | "huge" }
  | { kind: "link-out"; to: string };

/** result.json with one field made invalid (each value here is wrong for its field). */
const INVALID: Record<string, unknown[]> = {
  runId: ["x", null, -1],
  state: ["DONE", null, 1, "completed"],
  exitCode: [-1, 256, 1.5, "0", 3],
  signal: [{}, "SIG", 1, "NOPE"],
  task: ["1; touch x #", {}, -1, 0.5, 0],
  nextTask: ["x", -3, 1e9, 2, 1.5, null, 0],
  stopped: ["yes", 1, null],
  warning: ["no", 0],
  startedAt: ["yesterday", -5, 1e30, null, 1.5],
  finishedAt: ["yesterday", -5, 1e30, null],
};

const anyKind: fc.Arbitrary<Kind> = fc.oneof(
  fc.constant({ kind: "absent" as const }),
  fc.uint8Array({ maxLength: 64 }).map((data) => ({ kind: "bytes" as const, data })),
  fc
    .oneof(
      fc.json({ maxDepth: 3 }),
      fc.constantFrom("1e400", "-5", "Infinity", "1e30", '"noon"', "[]", "{}", "null"),
    )
    .map((text) => ({ kind: "json" as const, text })),
  fc.constantFrom(...(["fifo", "dir", "link-in", "loop", "huge"] as const)).map((kind) => ({ kind })),
  fc.constantFrom("/dev/zero", "/etc/passwd", "/").map((to) => ({ kind: "link-out" as const, to })),
);

/** result.json kinds that are never a valid result. */
const badResult: fc.Arbitrary<Kind | { kind: "mutated"; field: string; value: unknown }> = fc.oneof(
  anyKind,
  fc
    .constantFrom(...Object.keys(INVALID))
    .chain((field) =>
      fc.constantFrom(...INVALID[field]!).map((value) => ({ kind: "mutated" as const, field, value })),
    ),
);

const FILES = [
  "started",
  "heartbeat",
  "checkpoint",
  "warning",
  "output",
  "action",
  "error",
  "stderr",
] as const;
type Placed = Kind | { kind: "mutated"; field: string; value: unknown };

const runArb = fc.record({
  result: badResult,
  ...Object.fromEntries(FILES.map((f) => [f, anyKind])),
}) as fc.Arbitrary<Record<(typeof FILES)[number] | "result", Placed>>;

/** A valid result (COMPLETED after task 0, or FAILED at task 0), any kind of task file. */
const validResultRun = fc.record({
  state: fc.constantFrom("COMPLETED", "FAILED"),
  output: anyKind,
  action: anyKind,
  error: anyKind,
  stderr: anyKind,
});

function place(run: HostileRun, path: string, k: Placed): void {
  rmSync(path, { force: true, recursive: true });
  mkdirSync(dirname(path), { recursive: true });
  if (k.kind === "bytes") writeFileSync(path, k.data);
  else if (k.kind === "json") writeFileSync(path, k.text);
  else if (k.kind === "mutated")
    writeFileSync(path, JSON.stringify({ ...completedResult(run.runId), [k.field]: k.value }));
  else if (k.kind === "fifo") execFileSync("mkfifo", [path]);
  else if (k.kind === "dir") mkdirSync(path);
  else if (k.kind === "link-in") {
    const decoy = join(run.launchDir, "decoy.json");
    writeFileSync(decoy, '{"inside": true}');
    symlinkSync(decoy, path);
  } else if (k.kind === "link-out") symlinkSync(k.to, path);
  else if (k.kind === "loop") symlinkSync(path, path);
  else if (k.kind === "huge") {
    closeSync(openSync(path, "w"));
    execFileSync("truncate", ["-s", "80M", path]); // sparse: costs no disk
  }
}

/** Kinds that cannot be read now: a problem to retry, never a verdict. */
const UNREADABLE = new Set(["fifo", "dir", "loop", "huge", "link-out"]);

/** Write `spec` into the task-0 files and the protocol files of `r`. */
function placeAll(r: HostileRun, spec: Record<string, Placed>): void {
  const t = r.paths.task(0);
  const at: Record<string, string> = {
    started: r.paths.started,
    heartbeat: r.paths.heartbeat,
    checkpoint: r.paths.checkpoint,
    warning: r.paths.warning,
    result: r.paths.result,
    output: t.output,
    action: t.action,
    error: t.error,
    stderr: t.stderr,
  };
  for (const [file, kind] of Object.entries(spec)) place(r, at[file]!, kind);
}

for (const d of dialects()) {
  describe(`arbitrary bundle files, ${d.name}`, { skip: d.skip }, () => {
    test("no hang, no verdict from an invalid result, the healthy run is collected, nothing invalid stored", async () => {
      await using p = await offlineProject(d);
      let samples = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(runArb, { minLength: HOSTILE_RUNS, maxLength: HOSTILE_RUNS }),
          async (specs) => {
            samples++;
            const runs = await submittedRuns(p, HOSTILE_RUNS + 1);
            const healthy = runs.at(-1)!;
            writeFileSync(healthy.paths.task(0).output, '{"ok": true}');
            await writeJson(healthy.paths.result, completedResult(healthy.runId));
            for (const [i, spec] of specs.entries()) {
              const r = runs[i]!;
              const t = r.paths.task(0);
              const at = { ...r.paths, output: t.output, action: t.action, error: t.error, stderr: t.stderr };
              for (const [file, kind] of Object.entries(spec))
                place(r, at[file as keyof typeof at] as string, kind);
            }
            const started = Date.now();
            const summary = await offlineRecover(p.store, p.project, { poll: false });
            const seconds = (Date.now() - started) / 1000;
            assert.ok(seconds < 20, `recover took ${seconds} s`);
            assert.deepEqual(summary.completed, [healthy.jobId], "the healthy run, and only it, completed");
            assert.deepEqual(summary.failed, []);
            const limit = Date.now() + 3600_000;
            for (const r of runs.slice(0, HOSTILE_RUNS)) {
              const job = await p.job(r.jobId);
              assert.ok(!["COMPLETED", "FAILED"].includes(job.state), `job ${r.jobId} became ${job.state}`);
              const run = (await p.store.getRun(r.runId))!;
              for (const [what, v] of [
                ["heartbeatAt", run.heartbeatAt],
                ["startedAt", run.startedAt],
              ] as const)
                assert.ok(
                  v === null || (Number.isSafeInteger(v) && v >= 0 && v <= limit),
                  `${what} stored as ${v}`,
                );
              assert.ok(
                run.checkpoint === null ||
                  (Number.isSafeInteger(run.checkpoint.task) && run.checkpoint.task === 0),
                `checkpoint stored as ${JSON.stringify(run.checkpoint)}`,
              );
              assert.ok(
                run.host === "login" || /^[A-Za-z0-9._-]+$/.test(run.host ?? ""),
                `host stored as ${run.host}`,
              );
            }
          },
        ),
        { seed: SEED, numRuns: 25, endOnFailure: true },
      );
      assert.equal(samples, 25);
    });

    test("a valid result is collected unless a task file it needs cannot be read now", async () => {
      await using p = await offlineProject(d);
      await fc.assert(
        fc.asyncProperty(validResultRun, async (spec) => {
          const [r] = await submittedRuns(p, 1);
          const { state, ...files } = spec;
          placeAll(r!, files);
          const result =
            state === "COMPLETED"
              ? completedResult(r!.runId)
              : completedResult(r!.runId, 0, { state: "FAILED", exitCode: 2, task: 0 });
          await writeJson(r!.paths.result, result);
          await offlineRecover(p.store, p.project, { poll: false });
          const job = await p.job(r!.jobId);
          // a COMPLETED run reads task 0's output and action; a FAILED one at task 0 reads neither
          const blocked =
            state === "COMPLETED" && (UNREADABLE.has(files.output.kind) || UNREADABLE.has(files.action.kind));
          if (blocked) assert.ok(!["COMPLETED", "FAILED"].includes(job.state), `became ${job.state}`);
          else if (state === "FAILED") assert.equal(job.state, "FAILED");
          else assert.ok(["COMPLETED", "FAILED"].includes(job.state), `stayed ${job.state}`);
        }),
        { seed: SEED, numRuns: 30, endOnFailure: true },
      );
    });
  });
}
