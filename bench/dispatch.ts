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
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "500" },
    concurrency: { type: "string", default: "1,2" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    // where the throwaway projects live: like a real project, not in /tmp (on this VM /tmp is
    // 20-40x slower for mkdir/open than the same disk elsewhere; measured with mkdirSync loops)
    dir: { type: "string", default: join(process.cwd(), ".bench") },
  },
});
const N = Number(values.jobs);
const CONCURRENCY = values.concurrency.split(",").map(Number);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

function spawnOnce(argv: string[], cwd?: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: "ignore", cwd });
    c.on("error", reject);
    c.on("exit", resolve);
  });
}

/** N × `sh -c true`, `concurrency` at a time: the floor any launcher pays. */
async function bare(concurrency: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < N) {
        next++;
        await spawnOnce(["sh", "-c", "true"]);
      }
    }),
  );
  return performance.now() - t0;
}

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

async function pgSchema(url: string): Promise<{ yaml: string; drop: () => Promise<void> }> {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  return {
    yaml: `database:\n  postgres: ${url}\n  schema: ${schema}\n`,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

const rows: string[][] = [];
const row = (...cells: string[]) => rows.push(cells);
const fmt = (ms: number) => (ms / N).toFixed(2);

console.log(
  `dispatch benchmark: ${N} no-op sh jobs; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; projects in ${values.dir}`,
);
for (const c of CONCURRENCY) {
  const b = await bare(c);
  row(`bare spawn (sh -c true)`, String(c), (N / (b / 1000)).toFixed(0), fmt(b), "-");
  const s = await ferryRun(c, "database:\n  sqlite: .ferry/ferry.db\n");
  row("ferry launch, SQLite", String(c), (N / (s / 1000)).toFixed(0), fmt(s), ((s - b) / N).toFixed(2));
  if (values.postgres) {
    const p = await pgSchema(values.postgres);
    try {
      const t = await ferryRun(c, p.yaml);
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
const headers = ["what", "concurrency", "jobs/s", "ms/job", "overhead ms/job vs bare"];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join("  ");
console.log(line(headers));
for (const r of rows) console.log(line(r));
