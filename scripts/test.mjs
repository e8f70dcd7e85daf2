#!/usr/bin/env node
// `npm test`: every *.test.ts under src/ and test/ with node:test, type stripping, no build step.
// Extra arguments are passed through (e.g. `npm test -- --test-name-pattern=claim`); test files
// given as arguments replace the default set.
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
process.exit(result.status ?? 1);
