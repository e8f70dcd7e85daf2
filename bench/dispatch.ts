/**
 * Dispatch benchmark: no-op `sh` jobs through `ferry launch`, beside the cost of spawning the
 * same command bare, measured in the same run on the same machine, with the machine's load.
 *
 *   npm run bench:dispatch -- [--jobs 500] [--concurrency 1,2] [--chain 50] [--rounds 1]
 *                             [--postgres postgres://…|""] [--strace]
 *
 * Rows, per database and lane count:
 * - bare spawn: `sh -c true` spawned from Node, `concurrency` at a time — the floor;
 * - ferry launch (tasks supervised in the launcher, the default) and the same through one
 *   run.sh per job (FERRY_LAUNCH_WRAPPER=1, what offline and managed runs pay on a node);
 * - "× bare" is the fraction of the bare spawn rate ferry reaches (1.0 = at the spawn limit).
 * Then a dependent chain: the marginal cost of one link, (T(chain of N) − T(one job)) / (N − 1),
 * one `ferry launch` each, so start-up cancels out. With --strace, processes per job counted
 * with `strace -f -e trace=exit_group` (each process exits once; threads do not exit_group).
 *
 * "ferry" times include everything a user pays: claiming in the database, writing the bundle,
 * the task's processes, the protocol files, collecting the result and releasing children, with
 * one `ferry launch` process (its start-up included in the independent-jobs rows).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bareSpawn, DEFAULT_BENCH_DIR, machineLoad, median, printTable, throwawaySchema } from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "500" },
    concurrency: { type: "string", default: "1,2" },
    chain: { type: "string", default: "50" },
    rounds: { type: "string", default: "1" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    strace: { type: "boolean", default: false },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const CHAIN = Number(values.chain);
const ROUNDS = Math.max(1, Number(values.rounds));
const CONCURRENCY = values.concurrency.split(",").map(Number);
const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

type Mode = "supervised" | "run.sh";

function flowFile(n: number, chain: boolean): string {
  const jobs = Array.from(
    { length: n },
    (_, i) => `  - {name: j${i}, sh: 'true'${chain && i > 0 ? `, parents: [j${i - 1}]` : ""}}`,
  );
  return `name: bench\njobs:\n${jobs.join("\n")}\n`;
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  execFileSync(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "ignore", "inherit"] });
}

/** ms of one `ferry launch` over a fresh flow of n jobs (independent or a chain). */
function ferryRun(
  n: number,
  o: { concurrency: number; database: string; mode: Mode; chain?: boolean; strace?: string },
): number {
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, "ferry-bench-"));
  try {
    writeFileSync(join(dir, "ferry.yaml"), `${o.database}workers:\n  local: {mode: pull, workDir: runs}\n`);
    writeFileSync(join(dir, "flow.yaml"), flowFile(n, o.chain === true));
    const env = { ...process.env, ...(o.mode === "run.sh" ? { FERRY_LAUNCH_WRAPPER: "1" } : {}) };
    run([process.execPath, MAIN, "add", "flow.yaml"], dir, env);
    const launch = [process.execPath, MAIN, "launch", "--quiet", "--concurrency", String(o.concurrency)];
    const argv = o.strace
      ? ["strace", "-f", "-qq", "-e", "trace=exit_group", "-o", o.strace, ...launch]
      : launch;
    const t0 = performance.now();
    run(argv, dir, env);
    return performance.now() - t0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Processes started per job: exit_group calls of a launch of n jobs, less those of a 1-job launch. */
function processesPerJob(n: number, database: string, mode: Mode): string {
  const file = join(values.dir, `strace-${process.pid}.txt`);
  const count = (jobs: number) => {
    ferryRun(jobs, { concurrency: 1, database, mode, strace: file });
    const exits = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.includes("exit_group(")).length;
    rmSync(file, { force: true });
    return exits;
  };
  return ((count(n + 1) - count(1)) / n).toFixed(1);
}

const rows: string[][] = [];
const fmt = (ms: number, n: number) => (ms / n).toFixed(2);
/** Median over the rounds, each on a fresh database (a throwaway schema on PostgreSQL). */
async function best(db: Database, f: (yaml: string) => number): Promise<number> {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const d = db.yaml();
    try {
      xs.push(f(d.text));
    } finally {
      await d.drop();
    }
  }
  return median(xs);
}

console.log(
  `dispatch benchmark: ${N} no-op sh jobs, chain of ${CHAIN}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; load average before ${machineLoad()}; median of ${ROUNDS} round(s); projects in ${values.dir}`,
);
interface Database {
  name: string;
  yaml: () => { text: string; drop: () => Promise<void> };
}
const databases: Database[] = [
  { name: "SQLite", yaml: () => ({ text: "database:\n  sqlite: .ferry/ferry.db\n", drop: async () => {} }) },
];
if (values.postgres) {
  const url = values.postgres;
  databases.push({
    name: "PostgreSQL",
    yaml: () => {
      const p = throwawaySchema(url);
      return { text: `database:\n  postgres: ${url}\n  schema: ${p.schema}\n`, drop: p.drop };
    },
  });
}
const modes: Mode[] = ["supervised", "run.sh"];
for (const db of databases) {
  for (const c of CONCURRENCY) {
    const b = await bareSpawn(N, c);
    rows.push([`bare spawn (sh -c true)`, "-", String(c), (N / (b / 1000)).toFixed(0), fmt(b, N), "1.00"]);
    for (const mode of modes) {
      const ms = await best(db, (database) => ferryRun(N, { concurrency: c, database, mode }));
      rows.push([
        `ferry launch, ${mode}`,
        db.name,
        String(c),
        (N / (ms / 1000)).toFixed(0),
        fmt(ms, N),
        (b / ms).toFixed(2),
      ]);
    }
  }
}
printTable(["independent jobs", "database", "lanes", "jobs/s", "ms/job", "× bare"], rows);

const chainRows: string[][] = [];
for (const db of databases) {
  for (const mode of modes) {
    const one = (n: number) =>
      best(db, (database) => ferryRun(n, { concurrency: 1, database, mode, chain: true }));
    const t1 = await one(1);
    const tn = await one(CHAIN);
    chainRows.push([`chain, ${mode}`, db.name, String(CHAIN), ((tn - t1) / (CHAIN - 1)).toFixed(2)]);
  }
}
console.log("");
printTable(["dependent chain", "database", "links", "marginal ms/link"], chainRows);

if (values.strace) {
  const sqlite = "database:\n  sqlite: .ferry/ferry.db\n";
  console.log("");
  printTable(
    ["processes per job (strace -f exit_group)", "count"],
    modes.map((m) => [`ferry launch, ${m}`, processesPerJob(50, sqlite, m)]),
  );
}
console.log(`load average after ${machineLoad()}`);
