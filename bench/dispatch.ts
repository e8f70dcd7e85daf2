/**
 * Dispatch benchmark: no-op `sh` jobs through `ferry launch`, beside the cost of spawning the
 * same command bare, measured in the same run on the same machine, with the machine's load.
 *
 *   npm run bench:dispatch -- [--jobs 500] [--concurrency 1,2] [--chain 50] [--rounds 3]
 *                             [--postgres postgres://…|""] [--strace] [--sources]
 *
 * ferry runs as the package installs it (a built copy of this tree, the bundled CLI); with
 * `--sources`, from this checkout's TypeScript.
 *
 * Rows, per database and lane count:
 * - bare spawn: `sh -c true` spawned from Node, `concurrency` at a time — the floor;
 * - ferry launch: tasks supervised by the launcher, started by the Python task supervisor (the
 *   default), by the task-shell spawner (FERRY_LAUNCH_SPAWNER=shell: where no python3 runs),
 *   forked by the launcher itself (FERRY_LAUNCH_SPAWNER=0), and through one run.sh per job
 *   (FERRY_LAUNCH_WRAPPER=1, what offline and managed runs pay on a node);
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
import { parseArgs } from "node:util";
import {
  bareSpawn,
  benchFerry,
  DEFAULT_BENCH_DIR,
  machineLoad,
  median,
  printTable,
  removeAtEnd,
  removeKept,
  throwawaySchema,
} from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "500" },
    concurrency: { type: "string", default: "1,2" },
    chain: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    strace: { type: "boolean", default: false },
    sources: { type: "boolean", default: false },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const CHAIN = Number(values.chain);
const ROUNDS = Math.max(1, Number(values.rounds));
const CONCURRENCY = values.concurrency.split(",").map(Number);
const MAIN = benchFerry(values.dir, values.sources);

type Mode = "supervised" | "supervised, task shell" | "supervised, forked by the launcher" | "run.sh";

const MODE_ENV: Record<Mode, Record<string, string>> = {
  supervised: {},
  "supervised, task shell": { FERRY_LAUNCH_SPAWNER: "shell" },
  "supervised, forked by the launcher": { FERRY_LAUNCH_SPAWNER: "0" },
  "run.sh": { FERRY_LAUNCH_WRAPPER: "1" },
};

/** CPU ms used so far by this process and every descendant it reaped (/proc/self/stat). */
function cpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  const ticks = fields.slice(11, 15).reduce((a, f) => a + Number(f), 0); // utime stime cutime cstime
  return ticks * 10; // USER_HZ is 100 on Linux
}

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
): { wall: number; cpu: number } {
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, "ferry-bench-"));
  try {
    writeFileSync(join(dir, "ferry.yaml"), `${o.database}workers:\n  local: {mode: pull, workDir: runs}\n`);
    writeFileSync(join(dir, "flow.yaml"), flowFile(n, o.chain === true));
    const env = { ...process.env, ...MODE_ENV[o.mode] };
    run([process.execPath, MAIN, "add", "flow.yaml"], dir, env);
    const launch = [process.execPath, MAIN, "launch", "--quiet", "--concurrency", String(o.concurrency)];
    const argv = o.strace
      ? ["strace", "-f", "-qq", "-e", "trace=exit_group", "-o", o.strace, ...launch]
      : launch;
    const c0 = cpuMs();
    const t0 = performance.now();
    run(argv, dir, env);
    return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
  } finally {
    removeAtEnd(dir);
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

const fmt = (ms: number, n: number) => (ms / n).toFixed(2);

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

/** One ferry launch on a fresh database (a throwaway schema on PostgreSQL). */
async function once(db: Database, n: number, o: { concurrency: number; mode: Mode; chain?: boolean }) {
  const d = db.yaml();
  try {
    return ferryRun(n, { ...o, database: d.text });
  } finally {
    await d.drop();
  }
}

/** Bare spawns, timed with the CPU they and this process used. */
async function bare(concurrency: number): Promise<{ wall: number; cpu: number }> {
  const c0 = cpuMs();
  const wall = await bareSpawn(N, concurrency);
  return { wall, cpu: cpuMs() - c0 };
}

console.log(
  `dispatch benchmark: ${N} no-op sh jobs, chain of ${CHAIN}; ferry ${values.sources ? "from its sources" : "built as installed (bundled CLI)"}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); Node ${process.version}; load average before ${machineLoad()}; median of ${ROUNDS} round(s), every round runs each row once in turn; projects in ${values.dir}`,
);
const modes: Mode[] = [
  "supervised",
  "supervised, task shell",
  "supervised, forked by the launcher",
  "run.sh",
];
const rows: string[][] = [];
for (const db of databases) {
  for (const c of CONCURRENCY) {
    const samples = new Map<string, { wall: number[]; cpu: number[] }>();
    const keep = (k: string, x: { wall: number; cpu: number }) => {
      const s = samples.get(k) ?? { wall: [], cpu: [] };
      s.wall.push(x.wall);
      s.cpu.push(x.cpu);
      samples.set(k, s);
    };
    for (let r = 0; r < ROUNDS; r++) {
      keep("bare", await bare(c));
      for (const mode of modes) keep(mode, await once(db, N, { concurrency: c, mode }));
    }
    const b = median(samples.get("bare")!.wall);
    for (const [k, s] of samples) {
      const wall = median(s.wall);
      rows.push([
        k === "bare" ? "bare spawn (sh -c true)" : `ferry launch, ${k}`,
        k === "bare" ? "-" : db.name,
        String(c),
        (N / (wall / 1000)).toFixed(0),
        fmt(wall, N),
        (b / wall).toFixed(2),
        fmt(median(s.cpu), N),
      ]);
    }
  }
}
printTable(["independent jobs", "database", "lanes", "jobs/s", "ms/job", "× bare", "CPU ms/job"], rows);

const chainRows: string[][] = [];
for (const db of databases) {
  for (const mode of modes) {
    const marginal: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t1 = (await once(db, 1, { concurrency: 1, mode, chain: true })).wall;
      const tn = (await once(db, CHAIN, { concurrency: 1, mode, chain: true })).wall;
      marginal.push((tn - t1) / (CHAIN - 1));
    }
    chainRows.push([`chain, ${mode}`, db.name, String(CHAIN), median(marginal).toFixed(2)]);
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
removeKept();
