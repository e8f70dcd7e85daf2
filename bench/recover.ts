/**
 * Recover benchmark: `ferry offline recover` over N finished offline runs (default 10,000), with
 * its wall time and peak memory, beside the floor of merely reading the same protocol files —
 * measured in the same run.
 *
 *   npm run bench:recover -- [--runs 10000] [--postgres postgres://…] [--dir DIR]
 *
 * Setup (not timed): one flow of N jobs in chains of 10 (each job has a parent, so every result
 * releases a child), every job reserved for an offline worker and given a finished bundle (the
 * files a wrapper writes: started.json, heartbeat, checkpoint.json, tasks/0/output.json,
 * result.json).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundlePaths } from "../src/bundle/layout.ts";
import { resolveProject } from "../src/config/load.ts";
import { addFlow } from "../src/engine/add-flow.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { flow } from "../src/flow/builder.ts";
import { openStore } from "../src/store/open.ts";
import { DEFAULT_BENCH_DIR, printTable, throwawaySchema } from "./common.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.runs);
const CHILD = fileURLToPath(new URL("./recover-child.ts", import.meta.url));

async function setup(dir: string, database: Record<string, string>): Promise<void> {
  const raw = { database, workers: { cluster: { mode: "offline", scheduler: "shell", workDir: "runs" } } };
  writeFileSync(join(dir, "ferry.yaml"), JSON.stringify(raw));
  const project = resolveProject(raw, join(dir, "ferry.yaml"));
  const store = await openStore(project.database);
  const f = flow("bench");
  for (let i = 0; i < N; i++)
    f.job(`j${i}`, { sh: "true", ...(i % 10 === 0 ? {} : { parents: [`j${i - 1}`] }) });
  await addFlow(store, f.build());
  // roots are READY; make every job claimable, as if each chain's earlier jobs had been recovered
  await store.db.run("UPDATE jobs SET state = 'READY', unfinished_parents = 0");
  const now = Math.floor(Date.now() / 1000);
  for (;;) {
    const { claimed } = await claimRuns(store, {
      worker: { name: "cluster", workDir: join(dir, "runs"), categories: [] },
      limit: 1000,
      to: "RESERVED",
      mode: "offline",
      leaseOwner: null,
      leaseMs: null,
      host: "login",
    });
    if (claimed.length === 0) break;
    for (const c of claimed) {
      const p = bundlePaths(c.launchDir);
      mkdirSync(p.task(0).dir, { recursive: true });
      writeFileSync(
        p.started,
        JSON.stringify({ runId: c.runId, at: now, host: "node1", pid: 1, schedulerJobId: "" }),
      );
      writeFileSync(p.heartbeat, String(now));
      writeFileSync(p.checkpoint, JSON.stringify({ runId: c.runId, task: 0 }));
      writeFileSync(p.task(0).output, JSON.stringify({ energy: -1.5 * c.job.id, converged: true }));
      writeFileSync(
        p.result,
        JSON.stringify({
          runId: c.runId,
          state: "COMPLETED",
          exitCode: 0,
          signal: null,
          task: null,
          nextTask: 1,
          stopped: false,
          warning: false,
          startedAt: now,
          finishedAt: now,
        }),
      );
    }
    await store.db.run("UPDATE runs SET state = 'SUBMITTED' WHERE state = 'RESERVED'");
    await store.db.run("UPDATE jobs SET state = 'SUBMITTED' WHERE state = 'RESERVED'");
  }
  await store.close();
}

/** The floor: read every protocol file recover reads, and nothing else. */
function readAll(dir: string): number {
  const t0 = performance.now();
  const root = join(dir, "runs", "flow-1");
  let bytes = 0;
  for (const run of readdirSync(root)) {
    const p = bundlePaths(join(root, run));
    for (const f of [p.started, p.checkpoint, p.result, p.task(0).output, p.heartbeat])
      bytes += readFileSync(f).length;
  }
  if (bytes === 0) throw new Error("nothing read");
  return performance.now() - t0;
}

function recover(dir: string): Promise<{ ms: number; maxRssKb: number; completed: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.on("error", reject);
    c.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`recover exited ${code}`)),
    );
  });
}

async function one(
  label: string,
  database: Record<string, string>,
  rows: string[][],
  drop?: () => Promise<void>,
) {
  mkdirSync(values.dir, { recursive: true });
  const dir = mkdtempSync(join(values.dir, "ferry-recover-"));
  try {
    await setup(dir, database);
    const floor = readAll(dir);
    const r = await recover(dir);
    if (r.completed !== N) throw new Error(`recovered ${r.completed} of ${N}`);
    rows.push([
      label,
      String(N),
      (r.ms / 1000).toFixed(2),
      (N / (r.ms / 1000)).toFixed(0),
      (r.maxRssKb / 1024).toFixed(0),
      (floor / 1000).toFixed(2),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await drop?.();
  }
}

const rows: string[][] = [];
console.log(
  `recover benchmark: ${N} finished offline runs; ${cpus().length} cores; Node ${process.version}; in ${values.dir}`,
);
await one("ferry offline recover, SQLite", { sqlite: ".ferry/ferry.db" }, rows);
if (values.postgres) {
  const { schema, drop } = throwawaySchema(values.postgres);
  await one("ferry offline recover, PostgreSQL", { postgres: values.postgres, schema }, rows, drop);
}
printTable(["what", "runs", "seconds", "runs/s", "peak RSS MB", "baseline: reading the files, s"], rows);
