/**
 * Scale benchmark: what everyday commands cost with one flow of N jobs (default 100,000) in the
 * database, beside the fixed cost of any ferry command (`ferry --version`: Node start and CLI
 * load), measured in the same run.
 *
 *   npm run bench:scale -- [--jobs 100000] [--postgres postgres://…] [--dir DIR]
 *
 * The flow: chains of 10 (each tenth job a root), every job with an input `i`, so a tenth of
 * the jobs are READY and the rest WAITING — a DFT sweep's shape. Each command is a separate
 * `ferry` process, as a user runs it, output discarded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_BENCH_DIR, printTable, spawnOnce, throwawaySchema } from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "100000" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const LAUNCHED = 20;

async function timed(args: readonly string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const code = await spawnOnce([process.execPath, MAIN, ...args], cwd);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`ferry ${args.join(" ")} exited ${code}`);
  return ms;
}

function flowFile(dir: string): void {
  const jobs = Array.from({ length: N }, (_, i) => ({
    name: `j${i}`,
    sh: "true",
    inputs: { i },
    ...(i % 10 === 0 ? {} : { parents: [`j${i - 1}`] }),
  }));
  writeFileSync(join(dir, "flow.json"), JSON.stringify({ name: "sweep", jobs }));
}

async function one(label: string, database: string, rows: string[][], baseline: number) {
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, "ferry-scale-"));
  try {
    writeFileSync(join(dir, "ferry.yaml"), `${database}workers:\n  local: {mode: pull, workDir: runs}\n`);
    flowFile(dir);
    const row = (what: string, ms: number) =>
      rows.push([label, what, (ms / 1000).toFixed(2), ((ms - baseline) / 1000).toFixed(2)]);
    row(`add a ${N}-job flow`, await timed(["add", "flow.json"], dir));
    row("flows list", await timed(["flows", "list"], dir));
    row(
      `jobs list --state READY --json (${N / 10} jobs)`,
      await timed(["jobs", "list", "--state", "READY", "--json"], dir),
    );
    row(
      "jobs list --query inputs.i >= N-10",
      await timed(["jobs", "list", "--query", JSON.stringify({ "inputs.i": { $gte: N - 10 } })], dir),
    );
    row(`jobs list --json (all ${N})`, await timed(["jobs", "list", "--json"], dir));
    row("jobs show (one job)", await timed(["jobs", "show", String(Math.floor(N / 2))], dir));
    const launch = await timed(["launch", "--max-jobs", String(LAUNCHED), "--quiet"], dir);
    row(`launch --max-jobs ${LAUNCHED} (no-op sh jobs)`, launch);
    row(`flows pause 1 (the ${N}-job flow)`, await timed(["flows", "pause", "1", "--yes"], dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `scale benchmark: one flow of ${N} jobs; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; projects in ${values.dir}`,
);
mkdirSync(values.dir, { recursive: true });
let baseline = Number.POSITIVE_INFINITY;
for (let i = 0; i < 3; i++) baseline = Math.min(baseline, await timed(["--version"], values.dir));
const rows: string[][] = [["-", "ferry --version (baseline, best of 3)", (baseline / 1000).toFixed(2), "-"]];
await one("SQLite", "database:\n  sqlite: .ferry/ferry.db\n", rows, baseline);
if (values.postgres) {
  const { schema, drop } = throwawaySchema(values.postgres);
  try {
    await one(
      "PostgreSQL",
      `database:\n  postgres: ${values.postgres}\n  schema: ${schema}\n`,
      rows,
      baseline,
    );
  } finally {
    await drop();
  }
}
printTable(["database", "command", "seconds", "above baseline, s"], rows);
