#!/usr/bin/env node
// `npm test`: every *.test.ts under src/ and test/ with node:test, type stripping, no build step,
// then the Python bridge's own tests (python/tests, pytest) with the interpreter FERRY_TEST_PYTHON
// names (scripts/ci/python.sh builds it). Extra arguments are passed through (e.g.
// `npm test -- --test-name-pattern=claim`); test files given as arguments replace the default set
// (and leave out pytest).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => a.endsWith(".ts"));
const flags = args.filter((a) => !a.endsWith(".ts"));
const files = explicit.length > 0 ? explicit : [...collect("src", []), ...collect("test", [])].sort();
const concurrency = process.env.FERRY_TEST_CONCURRENCY ?? "3";
const result = spawnSync(
  process.execPath,
  ["--test", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...flags, ...files],
  { stdio: "inherit" },
);
let status = result.status ?? 1;

if (explicit.length === 0) status = Math.max(status, pytest());
process.exit(status);

function pytest() {
  const python = process.env.FERRY_TEST_PYTHON;
  if (!python) {
    const how =
      "python/tests: skipped (build the pinned venv with `bash scripts/ci/python.sh` and set FERRY_TEST_PYTHON to the python it prints)";
    if (process.env.FERRY_TEST_REQUIRE_ALL === "1") {
      console.error(`${how}; FERRY_TEST_REQUIRE_ALL=1 makes this a failure`);
      return 1;
    }
    console.log(how);
    return 0;
  }
  // pytest exits 5 when it collected no test: a failure here, since the suite exists
  // the bridge's run_locally tests drive this checkout's ferry
  const ferryBin = `"${process.execPath}" "${join(import.meta.dirname, "..", "src", "cli", "main.ts")}"`;
  const r = spawnSync(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests"], {
    stdio: "inherit",
    env: { ...process.env, FERRY_BIN: process.env.FERRY_BIN ?? ferryBin },
  });
  return r.status === 0 ? 0 : 1;
}
