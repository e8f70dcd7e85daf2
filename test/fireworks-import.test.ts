/**
 * `ferry import fireworks`: FireWorks workflow files (lpad add format) imported and run by the
 * real CLI. Shell-only workflows run with no Python at all; a workflow with a PyTask runs through
 * FireWorks on the node (the pinned venv: the "python" test component).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { importFireworksFile } from "../src/import/fireworks/index.ts";
import { ValidationError } from "../src/model/errors.ts";
import { ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { tempDir } from "./helpers/stores.ts";

const PY_TESTS = fileURLToPath(new URL("../python/tests", import.meta.url));
/** This checkout's ferry_jobflow and the tests' helper modules, for every Python ferry starts. */
const PYTHONPATH = [fileURLToPath(new URL("../python", import.meta.url)), PY_TESTS].join(":");

interface JobRow {
  name: string;
  label?: string;
  state: string;
  inputs: Record<string, unknown>;
  storedData: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  parents?: string[];
}

function project(workers: Record<string, unknown> = {}): string {
  const dir = tempDir("ferry-fw-");
  const local = { mode: "pull", workDir: "runs", concurrency: 2, ...workers };
  writeFileSync(
    join(dir, "ferry.yaml"),
    JSON.stringify({ workers: { local }, defaults: { worker: "local" } }),
  );
  return dir;
}

/** The one file of this name in the project's launch directories. */
function runFile(dir: string, name: string): string {
  const found = readdirSync(join(dir, "runs"), { recursive: true, encoding: "utf8" }).filter(
    (p) => p.split("/").at(-1) === name,
  );
  assert.equal(found.length, 1, `${name}: ${found.join(", ")}`);
  return readFileSync(join(dir, "runs", found[0]!), "utf8");
}

async function jobs(dir: string): Promise<Record<string, JobRow>> {
  const r = await ferry(["jobs", "list", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries((JSON.parse(r.stdout) as JobRow[]).map((j) => [j.label ?? j.name, j]));
}

const SHELL_ONLY = `
name: shell steps
metadata: {project: demo}
fws:
  - fw_id: 1
    name: write inputs
    spec:
      _tasks:
        - _fw_name: FileWriteTask
          files_to_write:
            - {filename: in.txt, contents: "it's 3 \${{ not a ref }}\\n"}
        - _fw_name: ScriptTask
          script: ["wc -c < in.txt", "cp in.txt /dev/null"]
          stdout_file: count.txt
        - _fw_name: FileTransferTask
          mode: copy
          files: [{src: in.txt, dest: copied.txt}]
      _priority: 5
      _category: cpu
      _queueadapter: {nodes: 1, walltime: "00:10:00", exclude_nodes: n1, pre_rocket: "module load x"}
      _dupefinder: {_fw_name: DupeFinderExact}
      _files_out: {data: "*.txt"}
      temperature: 300
  - fw_id: 2
    name: fails softly
    spec:
      _tasks:
        - {_fw_name: ScriptTask, script: "exit 4", defuse_bad_rc: true}
  - fw_id: 3
    name: never runs
    spec: {_tasks: [{_fw_name: ScriptTask, script: "touch ran.txt"}]}
links: {1: [2], 2: [3]}
`;

describe("ferry import fireworks: conversion", () => {
  test("names, parents, sh tasks for native Firetasks, mapped spec keys, and reported ones", () => {
    const dir = tempDir("ferry-fw-");
    const file = join(dir, "wf.yaml");
    writeFileSync(file, SHELL_ONLY);
    const r = importFireworksFile(file);
    const [first, second, third] = r.spec.jobs;
    assert.deepEqual(
      r.spec.jobs.map((j) => [j.name, j.parents]),
      [
        ["write_inputs-1", []],
        ["fails_softly-2", ["write_inputs-1"]],
        ["never_runs-3", ["fails_softly-2"]],
      ],
    );
    assert.deepEqual(
      first!.tasks.map((t) => t.kind),
      ["sh", "sh", "sh"],
    );
    assert.equal(first!.priority, 5);
    assert.equal(first!.category, "cpu");
    assert.deepEqual(first!.resources, {
      nodes: 1,
      walltime: "00:10:00",
      custom: { slurm: ["--exclude=n1"] },
    });
    assert.deepEqual(first!.inputs, { temperature: 300 });
    assert.deepEqual(r.runs, { 1: "sh", 2: "sh", 3: "sh" });
    assert.deepEqual(
      r.warnings.map((w) => [w.fwId, w.key]),
      [
        [1, "_dupefinder"],
        [1, "_files_out"],
        [1, "_queueadapter.pre_rocket"],
      ],
    );
    assert.ok(second && third);
  });

  test("a single Firework file, and a PyTask that needs FireWorks on the node", () => {
    const dir = tempDir("ferry-fw-");
    const file = join(dir, "fw.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "one",
        spec: { _tasks: [{ _fw_name: "PyTask", func: "json.dumps", args: [1] }], note: "see ${{ x }}" },
      }),
    );
    const r = importFireworksFile(file);
    const [job] = r.spec.jobs;
    assert.equal(job!.name, "one-n1");
    assert.deepEqual(r.runs, { "-1": "py" });
    assert.equal(job!.tasks[0]!.kind, "py");
    assert.deepEqual(job!.inputs.note, { $literal: "see ${{ x }}" });
  });

  test("links that name missing Fireworks, and a Firework without tasks, are invalid input", () => {
    const dir = tempDir("ferry-fw-");
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "fws: [{fw_id: 1, spec: {_tasks: []}}, {fw_id: 2, spec: {}}]\nlinks: {1: [9]}\n");
    assert.throws(
      () => importFireworksFile(file),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        const text = e.issues.map((i) => `${i.field}: ${i.message}`).join("\n");
        assert.match(text, /metadata is required/);
        assert.match(text, /fws\[1\]\.spec\._tasks: a Firework needs spec\._tasks/);
        assert.match(text, /links name Firework 9, which is not in fws/);
        return true;
      },
    );
  });
});

describe("ferry import fireworks: the command", () => {
  test("an invalid file exits 3 and adds nothing; --write writes the converted flow instead of adding it", async () => {
    const dir = project();
    writeFileSync(
      join(dir, "bad.yaml"),
      "fws: [{fw_id: 1, spec: {_tasks: [{_fw_name: ScriptTask, script: ls}]}}]\nlinks: {1: [2]}\n",
    );
    const bad = await ferry(["import", "fireworks", "bad.yaml"], { cwd: dir });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /links name Firework 2, which is not in fws/);
    writeFileSync(join(dir, "wf.yaml"), SHELL_ONLY);
    const written = await ferry(["import", "fireworks", "wf.yaml", "--write", "flow.json"], { cwd: dir });
    assert.equal(written.code, 0, written.stderr);
    const flow = JSON.parse(readFileSync(join(dir, "flow.json"), "utf8"));
    assert.deepEqual(
      flow.jobs.map((j: { name: string }) => j.name),
      ["write_inputs-1", "fails_softly-2", "never_runs-3"],
    );
    const added = await ferry(["add", "flow.json", "--json"], { cwd: dir });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout)[0].flowId, 1, "nothing was added before");
  });
});

describe("ferry import fireworks: running", () => {
  test("a shell-only workflow runs with no Python; defuse_bad_rc stops the children", async () => {
    const dir = project({ python: "/nonexistent/python" });
    writeFileSync(join(dir, "wf.yaml"), SHELL_ONLY);
    const imported = await ferry(["import", "fireworks", "wf.yaml"], { cwd: dir });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /added flow 1 "shell steps" with 3 jobs/);
    assert.match(
      imported.stderr,
      /warning: Firework 1 \(job write_inputs-1\): spec\._dupefinder is not supported/,
    );
    const launched = await ferry(["launch"], { cwd: dir });
    assert.equal(launched.code, 0, launched.stderr);
    const j = await jobs(dir);
    assert.equal(j["write inputs"]!.state, "COMPLETED");
    assert.deepEqual(j["write inputs"]!.storedData, { returncode: 0, all_returncodes: [0, 0] });
    assert.equal(j["fails softly"]!.state, "COMPLETED");
    assert.deepEqual(j["fails softly"]!.storedData, { returncode: 4, all_returncodes: [4] });
    assert.equal(j["never runs"]!.state, "CANCELLED");
    assert.equal(runFile(dir, "in.txt"), "it's 3 ${{ not a ref }}\n");
    assert.equal(runFile(dir, "copied.txt"), "it's 3 ${{ not a ref }}\n");
    // FireWorks writes the last command's captured output: cp printed nothing
    assert.equal(runFile(dir, "count.txt"), "");
  });

  test("ScriptTask, FileWriteTask and a PyTask whose FWAction updates the spec and adds a Firework", {
    skip: skipUnless("python"),
  }, async () => {
    const dir = project({ python: process.env.FERRY_TEST_PYTHON, env: { PYTHONPATH } });
    writeFileSync(
      join(dir, "wf.yaml"),
      `
fws:
  - fw_id: 1
    name: prepare
    spec:
      _tasks:
        - {_fw_name: ScriptTask, script: "echo 21 > seed.txt"}
        - _fw_name: FileWriteTask
          files_to_write: [{filename: note.txt, contents: hello}]
  - fw_id: 2
    name: grow
    spec:
      _tasks:
        - {_fw_name: PyTask, func: fw_tasks.grow, args: [41]}
      _trackers: [{filename: out.txt}]
  - fw_id: 3
    name: use
    spec:
      _tasks:
        - {_fw_name: PyTask, func: fw_tasks.add_from_spec, inputs: [grown, base], outputs: [sum]}
      base: 100
links: {1: [2], 2: [3]}
metadata: {}
`,
    );
    const imported = await ferry(["import", "fireworks", "wf.yaml", "--json"], { cwd: dir });
    assert.equal(imported.code, 0, imported.stderr);
    const result = JSON.parse(imported.stdout);
    assert.deepEqual(
      result.warnings.map((w: { job: string; key: string }) => [w.job, w.key]),
      [["grow-2", "_trackers"]],
    );
    assert.deepEqual(result.runs, { "prepare-1": "sh", "grow-2": "py", "use-3": "py" });
    const launched = await ferry(["launch"], { cwd: dir });
    assert.equal(launched.code, 0, launched.stderr + launched.stdout);
    const j = await jobs(dir);
    assert.deepEqual(
      Object.values(j).map((x) => x.state),
      ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"],
    );
    // update_spec reached the child's spec (its inputs), and the PyTask read it
    assert.equal(j.use!.inputs.grown, 42);
    assert.deepEqual(j.grow!.storedData, { grew: true });
    // the addition became a job of the flow, ran after grow, and ran its ScriptTask and PyTask
    assert.ok(j["added by grow"], `jobs: ${Object.keys(j).join(", ")}`);
    assert.equal(runFile(dir, "added.txt"), "added 41\n");
  });
});
