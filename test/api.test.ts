/** The public API as a program uses it: `openProject`, the builder, the Project facade. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  ConflictError,
  flow,
  js,
  NotFoundError,
  openProject,
  type Project,
  sh,
  UsageError,
  ValidationError,
} from "../src/index.ts";
import { tempDir } from "./helpers/stores.ts";

const local = { local: { mode: "pull" as const, workDir: "runs", concurrency: 2 } };

async function project(extra: Record<string, unknown> = {}): Promise<Project> {
  const dir = tempDir("ferry-api-");
  return openProject({ config: { workers: { ...local, ...extra } }, dir });
}

describe("openProject", () => {
  test("opens a folder or its ferry.yaml, and a config object whose paths resolve against dir", async () => {
    const dir = tempDir("ferry-api-");
    writeFileSync(join(dir, "ferry.yaml"), "workers:\n  w1: {mode: pull, workDir: runs}\n");
    await using a = await openProject({ dir });
    await using b = await openProject({ dir: join(dir, "ferry.yaml") });
    assert.deepEqual(Object.keys(a.config.workers), ["w1"]);
    assert.equal(b.config.workers.w1?.workDir, join(dir, "runs"));
    assert.deepEqual(a.config.database, { kind: "sqlite", path: join(dir, ".ferry", "ferry.db") });
    await using c = await openProject({ config: { workers: local }, dir });
    assert.equal(c.config.workers.local?.workDir, join(dir, "runs"));
    await assert.rejects(openProject({ dir: join(dir, "nowhere") }), NotFoundError);
  });

  test("library code never reads the environment: FERRY_DATABASE_URL and FERRY_PROJECT change nothing", async () => {
    const elsewhere = tempDir("ferry-env-");
    const saved = { db: process.env.FERRY_DATABASE_URL, project: process.env.FERRY_PROJECT };
    process.env.FERRY_DATABASE_URL = join(elsewhere, "hijacked.db");
    process.env.FERRY_PROJECT = elsewhere;
    try {
      const dir = tempDir("ferry-api-");
      await using p = await openProject({ config: { workers: local }, dir });
      assert.deepEqual(p.config.database, { kind: "sqlite", path: join(dir, ".ferry", "ferry.db") });
      await p.add(flow("f").job("a", { sh: "true" }) && flowWith("f"));
      assert.equal((await p.jobs()).length, 1);
    } finally {
      for (const [k, v] of [
        ["FERRY_DATABASE_URL", saved.db],
        ["FERRY_PROJECT", saved.project],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    const { existsSync } = await import("node:fs");
    assert.equal(existsSync(join(elsewhere, "hijacked.db")), false, "nothing was written there");
  });

  test("a remote managed worker with a relative workDir is refused by name when the project is read", async () => {
    await assert.rejects(
      openProject({
        config: {
          workers: {
            ...local,
            hpc: { mode: "managed", scheduler: "slurm", host: "cluster", workDir: "scratch" },
          },
        },
        dir: tempDir(),
      }),
      (e: Error) =>
        e instanceof ValidationError &&
        /field "workers\.hpc\.workDir": "scratch" is relative: with host set, workDir is a folder on cluster/.test(
          e.message,
        ),
    );
  });
});

function flowWith(name: string) {
  const f = flow(name);
  f.job("a", { sh: "true" });
  return f;
}

describe("the builder", () => {
  test("parents come from output references, and js modules resolve against the calling module", async () => {
    await using p = await project();
    const dir = join(p.dir, "mods");
    mkdirSync(dir);
    writeFileSync(join(dir, "tasks.mjs"), "export const square = ({ x }) => ({ value: x * x });\n");
    // as if a module in mods/ called flow() with its import.meta.url
    const f = flow("diamond", {}, { base: pathToFileURL(join(dir, "caller.ts")) });
    const a = f.job("a", { sh: `echo '{"value": 6}' > "$FERRY_OUTPUTS"` });
    const b = f.job("b", { js: "./tasks.mjs#square", inputs: { x: a.output("value") } });
    const c = f.job("c", {
      tasks: [sh(`echo "{\\"value\\": $((FERRY_IN_x + 1))}" > "$FERRY_OUTPUTS"`)],
      inputs: { x: "${{ a.value }}" },
    });
    f.job("d", { js: js(join(dir, "tasks.mjs"), "square"), inputs: { x: b.output("value"), y: c.output() } });
    const spec = f.build();
    assert.deepEqual(
      spec.jobs.map((j) => [j.name, j.parents]),
      [
        ["a", []],
        ["b", ["a"]],
        ["c", ["a"]],
        ["d", ["b", "c"]],
      ],
    );
    assert.equal(
      spec.jobs[1]!.tasks[0]!.kind === "js" && spec.jobs[1]!.tasks[0]!.module,
      join(dir, "tasks.mjs"),
    );
    const [added] = await p.add(f);
    assert.equal((await p.launch()).completed, 4);
    const jobs = await p.jobs({ flows: [added!.flowId] });
    assert.deepEqual(
      jobs.map((j) => [j.name, j.outputs]),
      [
        ["a", { value: 6 }],
        ["b", { value: 36 }],
        ["c", { value: 7 }],
        ["d", { value: 1296 }],
      ],
    );
  });

  test("js() without a base resolves a relative path against the file that calls it", () => {
    const task = js("../examples/diamond/tasks.mjs", "square");
    assert.equal(task.js, `${join(import.meta.dirname, "..", "examples", "diamond", "tasks.mjs")}#square`);
  });

  test("a reference to an ancestor through another parent adds no redundant edge", () => {
    const f = flow("chain");
    const a = f.job("a", { sh: "true" });
    const b = f.job("b", { sh: "true", parents: [a] });
    f.job("c", { sh: "true", parents: [b], inputs: { x: a.output("v") } });
    assert.deepEqual(f.build().jobs[2]!.parents, ["b"]);
  });
});

describe("selections", () => {
  test("a change needs a selector or all; unknown ids and flows are not found; FireWorks' states are named", async () => {
    await using p = await project();
    const [f] = await p.add(flowWith("sel"));
    await assert.rejects(
      p.pause({}),
      (e: Error) => e instanceof UsageError && /needs a selector/.test(e.message),
    );
    await assert.rejects(p.pause({ all: true, states: ["READY"] }), /--all cannot be combined/);
    await assert.rejects(
      p.rerun({ ids: [999] }),
      (e: Error) => e instanceof NotFoundError && /no job with id 999/.test(e.message),
    );
    await assert.rejects(
      p.pause({ flows: [99] }),
      (e: Error) => e instanceof NotFoundError && /no flow with id 99/.test(e.message),
    );
    await assert.rejects(p.jobs({ ids: [f!.jobIds.a!, 998] }), /no job with id 998/);
    await assert.rejects(
      p.jobs({ states: ["FIZZLED"] }),
      (e: Error) => e instanceof UsageError && /FireWorks' FIZZLED is ferry's FAILED/.test(e.message),
    );
    await assert.rejects(p.jobs({ query: "{not json" }), ValidationError);
    await assert.rejects(
      p.jobs({ runQuery: { "action.stored_data._exception._stacktrace": { $regex: "x" } } }),
      (e: Error) => e instanceof ValidationError && /use "error\.stack"/.test(e.message),
    );
    await assert.rejects(p.launch({ worker: "__proto__" }), NotFoundError);
    await assert.rejects(p.launch({ worker: "toString" }), NotFoundError);
    await assert.rejects(p.recoverOffline({ worker: "" }), UsageError);
  });
});

describe("changes and their dry runs", () => {
  test("a dry run reports exactly what the change then does, and counts only jobs that change", async () => {
    await using p = await project();
    const f = flow("mix");
    const a = f.job("a", { sh: "true" });
    f.job("b", { sh: "true", parents: [a] });
    f.job("c", { sh: "true" });
    await p.add(f);
    await p.launch({ maxJobs: 1 });
    const dry = await p.pause({ all: true }, { dryRun: true });
    assert.equal(dry.matched, 3);
    assert.deepEqual(
      dry.changed.map((j) => j.name),
      ["b", "c"],
    );
    assert.deepEqual(
      dry.skipped.map((j) => [j.name, j.state]),
      [["a", "COMPLETED"]],
    );
    const real = await p.pause({ all: true });
    assert.deepEqual(real.changed, dry.changed);
    assert.equal(
      (await p.pause({ all: true }, { dryRun: true })).changed.length,
      0,
      "paused jobs do not change again",
    );
  });

  test("rerun's dry run shows --set edits, saved recovery, and what --clear-recovery does", async () => {
    await using p = await project();
    const f = flow("fix");
    f.job("t", {
      tasks: [sh("true"), sh(`[ -e "${p.dir}/ok" ] || exit 3`)],
      resources: { walltime: "1:00:00" },
    });
    const [added] = await p.add(f);
    const id = added!.jobIds.t!;
    assert.equal((await p.launch()).failed, 1);
    const dry = await p.rerun(
      { ids: [id] },
      { taskLevel: true, set: ["resources.walltime=4:00:00"], dryRun: true },
    );
    assert.deepEqual(
      dry.edits.map((e) => [e.field, e.from, e.to]),
      [["resources.walltime", "1:00:00", "4:00:00"]],
    );
    assert.deepEqual(
      dry.resume.map((r) => [r.startTask, r.from]),
      [[1, "task-level"]],
    );
    assert.equal((await p.job(id)).job.resources.walltime, "1:00:00", "a dry run changes nothing");
    await p.rerun({ ids: [id] }, { taskLevel: true });
    assert.equal((await p.launch()).failed, 1);
    const plain = await p.rerun({ ids: [id] }, { dryRun: true });
    assert.deepEqual(
      plain.resume.map((r) => [r.startTask, r.from]),
      [[1, "saved"]],
    );
    const cleared = await p.rerun({ ids: [id] }, { clearRecovery: true, dryRun: true });
    assert.deepEqual(cleared.resume, []);
    assert.deepEqual(
      cleared.cleared.map((c) => [c.jobId, c.savedTask]),
      [[id, 1]],
    );
  });

  test("a job claimed after the dry run is refused by the rerun, not orphaned", async () => {
    await using p = await project();
    const [added] = await p.add(flowWith("late"));
    const id = added!.jobIds.a!;
    const dry = await p.rerun({ ids: [id] }, { dryRun: true });
    assert.deepEqual(dry.live, []);
    // another launcher, on another host, claims it now (while a user reads the dry run)
    const { claimRuns } = await import("../src/engine/claim.ts");
    const { openStore } = await import("../src/store/open.ts");
    const store = await openStore(p.config.database);
    try {
      await claimRuns(store, {
        worker: { name: "local", workDir: join(p.dir, "runs"), categories: [] },
        limit: 1,
        to: "RUNNING",
        mode: "pull",
        leaseOwner: "elsewhere:1:x",
        leaseMs: 60_000,
        host: "elsewhere",
      });
    } finally {
      await store.close();
    }
    await assert.rejects(p.rerun({ ids: [id] }), ConflictError);
    assert.equal((await p.job(id)).job.state, "RUNNING");
  });
});

describe("reads", () => {
  test("flows filter by derived state, name, time and page; job and flow details; not found", async () => {
    await using p = await project();
    await p.add([flowWith("alpha"), flowWith("beta"), flowWith("alpine")]);
    await p.launch({ maxJobs: 1 });
    const names = async (q: Parameters<Project["flows"]>[0]) => (await p.flows(q)).map((f) => f.name);
    assert.deepEqual(await names({}), ["alpine", "beta", "alpha"], "newest first");
    assert.deepEqual(await names({ states: ["completed"] }), ["alpha"]);
    assert.deepEqual(await names({ name: "alp*" }), ["alpine", "alpha"]);
    assert.deepEqual(await names({ limit: 1, offset: 1 }), ["beta"]);
    assert.deepEqual(await names({ since: "1m", states: ["READY"] }), ["alpine", "beta"]);
    await assert.rejects(p.flows({ states: ["FIZZLED"] }), UsageError);
    const [alpha] = await p.flows({ name: "alpha" });
    const d = await p.flow(alpha!.id);
    assert.deepEqual(
      d.jobs.map((j) => j.state),
      ["COMPLETED"],
    );
    const job = await p.job(d.jobs[0]!.id);
    assert.deepEqual(
      job.history.map((h) => h.to),
      ["READY", "RUNNING", "COMPLETED"],
    );
    assert.equal(job.runs.length, 1);
    await assert.rejects(p.job(999), NotFoundError);
    await assert.rejects(p.flow(999), NotFoundError);
  });
});

describe("the change feed", () => {
  test("changes come with a growing id; resuming after the last id gives only what came next", async () => {
    await using p = await project();
    const [added] = await p.add(flowWith("feed"));
    const first = await p.changes();
    assert.deepEqual(
      first.changes.map((c) => [c.jobId, c.to, c.flowId]),
      [[added!.jobIds.a!, "READY", added!.flowId]],
    );
    await p.launch();
    const next = await p.changes({ after: first.last });
    assert.deepEqual(
      next.changes.map((c) => c.to),
      ["RUNNING", "COMPLETED"],
    );
    assert.ok(next.changes.every((c) => c.id > first.last));
    assert.deepEqual((await p.changes({ after: next.last })).changes, []);
  });
});
