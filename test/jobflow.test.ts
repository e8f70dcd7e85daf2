/**
 * jobflow and atomate2 flows through ferry, with real Python (the pinned venv: the "python" test
 * component), the real ferry CLI and SQLite: each flow also runs through jobflow's own
 * run_locally, and the outputs are compared job by job (python/tests/e2e/compare.py).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FERRY_MAIN, ferry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { tempDir } from "./helpers/stores.ts";

const PY_TESTS = fileURLToPath(new URL("../python/tests", import.meta.url));
/** This checkout's ferry_jobflow and the tests' helper modules, for every Python ferry starts. */
const PYTHONPATH = [fileURLToPath(new URL("../python", import.meta.url)), PY_TESTS].join(":");
const COMPARE = join(PY_TESTS, "e2e", "compare.py");
const FERRY_BIN = `${process.execPath} ${FERRY_MAIN}`;

interface Compared {
  flowId: number;
  keys: string[];
  jobflow: Record<string, unknown>;
  ferry: Record<string, unknown>;
  differ: string[];
  seconds: { jobflow: number; ferry: number };
}

interface JobRow {
  id: number;
  name: string;
  label?: string;
  state: string;
  metadata: { jobflow?: { uuid: string; index: number; name: string } };
}

function project(): string {
  const dir = tempDir("ferry-jobflow-");
  const local = {
    mode: "pull",
    workDir: "runs",
    concurrency: 2,
    python: process.env.FERRY_TEST_PYTHON,
    env: { PYTHONPATH },
  };
  writeFileSync(
    join(dir, "ferry.yaml"),
    JSON.stringify({ workers: { local }, defaults: { worker: "local" } }),
  );
  return dir;
}

function python(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FERRY_TEST_PYTHON!, args, {
      cwd,
      env: { ...process.env, FERRY_BIN, PYTHONPATH, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

async function compare(flow: "demo" | "elastic", dir: string): Promise<Compared> {
  const out = join(dir, "compared.json");
  const r = await python([COMPARE, flow, "--project", dir, "--out", out], dir);
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  return JSON.parse(readFileSync(out, "utf8")) as Compared;
}

async function jobs(dir: string, flowId: number): Promise<JobRow[]> {
  const r = await ferry(["jobs", "list", "--flow", String(flowId), "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as JobRow[];
}

function sameOutputs(c: Compared): void {
  for (const key of c.keys) {
    assert.deepEqual(c.ferry[key], c.jobflow[key], `job ${key}: ferry's output differs from jobflow's`);
  }
  assert.deepEqual(c.differ, []);
}

describe("jobflow flows through ferry", { skip: skipUnless("python") }, () => {
  test("nested flows, every reference form, replace, detour, addition, stop_children, stored_data: the same outputs as jobflow's run_locally; a rerun of the replacing job regenerates the same jobs", async () => {
    const dir = project();
    const c = await compare("demo", dir);
    sameOutputs(c);
    for (const key of [
      "numbers#1",
      "combine#1",
      "square_0#1",
      "add_squares#1",
      "store_inputs#2",
      "detour_note#1",
      "addition_square#1",
      "total_of_blob#1",
    ]) {
      assert.ok(c.keys.includes(key), `${key} ran (keys: ${c.keys.join(", ")})`);
    }
    assert.ok(!c.keys.includes("never_runs#1"), "stop_children stopped the stopper's child");
    assert.deepEqual(c.jobflow["after_squares#1"], { given: { total: 30 }, types: { total: "float" } });

    const before = await jobs(dir, c.flowId);
    const byLabel = (rows: JobRow[], label: string) => rows.filter((j) => j.metadata.jobflow?.name === label);
    assert.equal(byLabel(before, "never_runs")[0]!.state, "CANCELLED");
    const replacing = byLabel(before, "square_all")[0]!;
    const rerun = await ferry(["rerun", "--id", String(replacing.id), "--yes"], { cwd: dir });
    assert.equal(rerun.code, 0, rerun.stderr);
    const launched = await ferry(["launch", "--flow", String(c.flowId)], { cwd: dir });
    assert.equal(launched.code, 0, launched.stderr);
    const after = await jobs(dir, c.flowId);
    assert.equal(after.length, before.length, "the rerun added no second set of generated jobs");
    assert.deepEqual(
      after.map((j) => [j.name, j.state]),
      before.map((j) => [j.name, j.state]),
    );
    // the generated jobs did run again: a second run each, the first one archived
    for (const generated of ["square_0", "add_squares", "store_inputs"]) {
      const row = byLabel(after, generated)[0]!;
      const shown = await ferry(["jobs", "show", String(row.id), "--runs", "--json"], { cwd: dir });
      assert.equal(JSON.parse(shown.stdout).runs.length, 2, `${generated} ran twice`);
    }
  });

  test("atomate2's elastic workflow with ASE's EMT calculator: the same elastic tensor as jobflow's run_locally", async () => {
    const dir = project();
    const c = await compare("elastic", dir);
    sameOutputs(c);
    const fit = c.ferry["fit_elastic_tensor#1"] as { derived_properties: { k_vrh: number; g_vrh: number } };
    assert.ok(
      Math.abs(fit.derived_properties.k_vrh - 130.096) < 0.01,
      `k_vrh ${fit.derived_properties.k_vrh}`,
    );
    assert.ok(
      Math.abs(fit.derived_properties.g_vrh - 53.592) < 0.01,
      `g_vrh ${fit.derived_properties.g_vrh}`,
    );
    const rows = await jobs(dir, c.flowId);
    assert.ok(
      rows.every((j) => j.state === "COMPLETED"),
      rows.map((j) => `${j.label}:${j.state}`).join(" "),
    );
    process.stdout.write(
      `# elastic: jobflow ${c.seconds.jobflow} s, ferry ${c.seconds.ferry} s (${rows.length} jobs)\n`,
    );
  });
});
