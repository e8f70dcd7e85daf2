/**
 * Dispatch benchmark: N no-op `sh` jobs through `ferry launch`, beside the cost of spawning the
 * same command bare, measured in the same run on the same machine.
 *
 *   npm run bench:dispatch -- [--jobs 500] [--concurrency 1,2] [--postgres postgres://…]
 *
 * "ferry" times include everything a user pays: claiming in the database, writing the bundle,
 * the POSIX wrapper (start file, checkpoint, result — each an atomic rename), collecting the
 * result and releasing children, with one `ferry launch` process (startup included).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  bareSpawn,
  DEFAULT_BENCH_DIR,
  machineLoad,
  printTable,
  spawnOnce,
  throwawaySchema,
} from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "500" },
    concurrency: { type: "string", default: "1,2" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const CONCURRENCY = values.concurrency.split(",").map(Number);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

const bare = (concurrency: number) => bareSpawn(N, concurrency);

async function ferryRun(concurrency: number, database: string): Promise<number> {
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, "ferry-bench-"));
  try {
    writeFileSync(join(dir, "ferry.yaml"), `${database}workers:\n  local: {mode: pull, workDir: runs}\n`);
    const jobs = Array.from({ length: N }, (_, i) => `  - {name: j${i}, sh: 'true'}`).join("\n");
    writeFileSync(join(dir, "flow.yaml"), `name: bench\njobs:\n${jobs}\n`);
    if ((await spawnOnce([process.execPath, MAIN, "add", "flow.yaml"], dir)) !== 0)
      throw new Error("add failed");
    const t0 = performance.now();
    const code = await spawnOnce(
      [process.execPath, MAIN, "launch", "--quiet", "--concurrency", String(concurrency)],
      dir,
    );
    if (code !== 0) throw new Error(`launch exited ${code}`);
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
const row = (...cells: string[]) => rows.push(cells);
const fmt = (ms: number) => (ms / N).toFixed(2);

console.log(
  `dispatch benchmark: ${N} no-op sh jobs; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; load average ${machineLoad()}; projects in ${values.dir}`,
);
for (const c of CONCURRENCY) {
  const b = await bare(c);
  row(`bare spawn (sh -c true)`, String(c), (N / (b / 1000)).toFixed(0), fmt(b), "-");
  const s = await ferryRun(c, "database:\n  sqlite: .ferry/ferry.db\n");
  row("ferry launch, SQLite", String(c), (N / (s / 1000)).toFixed(0), fmt(s), ((s - b) / N).toFixed(2));
  if (values.postgres) {
    const p = throwawaySchema(values.postgres);
    try {
      const t = await ferryRun(c, `database:\n  postgres: ${values.postgres}\n  schema: ${p.schema}\n`);
      row(
        "ferry launch, PostgreSQL",
        String(c),
        (N / (t / 1000)).toFixed(0),
        fmt(t),
        ((t - b) / N).toFixed(2),
      );
    } finally {
      await p.drop();
    }
  }
}
printTable(["what", "concurrency", "jobs/s", "ms/job", "overhead ms/job vs bare"], rows);
