/**
 * The runner daemon over loopback SSH (issue 9): N no-op jobs through `ferry runner start
 * --foreground` to the shell scheduler on a throwaway sshd (test/helpers/sshd.ts) — jobs/s, SSH
 * round trips (sessions the server started) per job, scheduler status calls per worker cycle —
 * and the runner's peak RSS (VmHWM) while it works with M jobs in the database.
 *
 *   node bench/runner.ts [--jobs 1000] [--big 100000] [--max-queued 200] [--default-flags]
 *   (root; scripts/ci/sshd.sh). The runner runs with the node flag a detached `ferry runner start`
 *   gives it (--max-semi-space-size=1); --default-flags measures it without.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { openProject } from "../src/index.ts";
import { FERRY_MAIN } from "../test/helpers/cli.ts";
import { type Sshd, SshLab } from "../test/helpers/sshd.ts";
import { DEFAULT_BENCH_DIR, machineLoad, printTable } from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    big: { type: "string", default: "100000" },
    "max-queued": { type: "string", default: "200" },
    "default-flags": { type: "boolean", default: false },
  },
});
const JOBS = Number(values.jobs);
const BIG = Number(values.big);
const MAX_QUEUED = Number(values["max-queued"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flowYaml(n: number, name: string): string {
  const lines = [`name: ${name}`, "jobs:"];
  for (let i = 0; i < n; i++) lines.push(`  - {name: j${i}, sh: "true"}`);
  return `${lines.join("\n")}\n`;
}

function vmHwmKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

interface Phase {
  seconds: number;
  completed: number;
  sessions: number;
  cycles: number;
  schedulerCalls: number;
  peakRssMb: number;
}

async function phase(
  lab: SshLab,
  login: Sshd,
  jobs: number,
  untilCompleted: number | null,
  forMs: number,
): Promise<Phase> {
  fs.mkdirSync(DEFAULT_BENCH_DIR, { recursive: true });
  const dir = fs.mkdtempSync(path.join(path.resolve(DEFAULT_BENCH_DIR), "runner-"));
  const remote = lab.remoteDir();
  const config = {
    database: { sqlite: ".ferry/ferry.db" },
    workers: {
      hpc: {
        mode: "managed",
        host: "login",
        ssh: { configFile: lab.configFile },
        scheduler: "shell",
        workDir: path.join(remote, "runs"),
        maxQueued: MAX_QUEUED,
        heartbeatSeconds: 30,
        statusIntervalSeconds: 1,
        cycleSeconds: 0.5,
      },
    },
  };
  fs.writeFileSync(path.join(dir, "ferry.yaml"), JSON.stringify(config));
  {
    await using project = await openProject({ dir });
    fs.writeFileSync(path.join(dir, "flow.yaml"), flowYaml(jobs, "bench"));
    await project.add(path.join(dir, "flow.yaml"));
  }
  const sessions0 = login.sessions();
  const t0 = performance.now();
  // the node flag a detached `ferry runner start` gives its runner (--default-flags: without it)
  const flags = values["default-flags"] ? [] : ["--max-semi-space-size=1"];
  const child = spawn(process.execPath, [...flags, FERRY_MAIN, "runner", "start", "--foreground"], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const exited = new Promise((r) => child.once("exit", r));
  let peak = 0;
  await using project = await openProject({ dir });
  const end = Date.now() + forMs;
  let completed = 0;
  for (;;) {
    peak = Math.max(peak, vmHwmKb(child.pid!));
    completed = (await project.flows())[0]?.counts.COMPLETED ?? 0;
    if (untilCompleted !== null && completed >= untilCompleted) break;
    if (Date.now() > end) break;
    await sleep(250);
  }
  const seconds = (performance.now() - t0) / 1000;
  peak = Math.max(peak, vmHwmKb(child.pid!));
  await project.runner.stop({ wait: true });
  await exited;
  const sessions = login.sessions() - sessions0;
  let cycles = 0;
  let schedulerCalls = 0;
  await project.runner.logs({
    onEntry: (e) => {
      if (e.step === "collect")
        schedulerCalls += Number((e.data as { schedulerCalls?: number })?.schedulerCalls ?? 0);
      const m = /runner stopped after (\d+) worker cycle/.exec(e.msg);
      if (m) cycles = Number(m[1]);
    },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, completed, sessions, cycles, schedulerCalls, peakRssMb: peak / 1024 };
}

await using lab = await SshLab.create();
const login = await lab.server("login");
console.log(
  `runner over loopback SSH (OpenSSH ControlMaster), shell scheduler, maxQueued ${MAX_QUEUED}, node ${values["default-flags"] ? "default flags" : "--max-semi-space-size=1"}; load ${machineLoad()}`,
);
const a = await phase(lab, login, JOBS, JOBS, 600_000);
const b = await phase(lab, login, BIG, null, 30_000);
printTable(
  ["figure", "value", "unit", "conditions"],
  [
    [
      "throughput",
      (a.completed / a.seconds).toFixed(1),
      "jobs/s",
      `${a.completed} no-op sh jobs, start to last COMPLETED (${a.seconds.toFixed(1)} s)`,
    ],
    [
      "SSH round trips",
      (a.sessions / a.completed).toFixed(1),
      "per job",
      `${a.sessions} sessions the sshd started`,
    ],
    [
      "scheduler status calls",
      (a.schedulerCalls / Math.max(1, a.cycles)).toFixed(2),
      "per worker cycle",
      `${a.schedulerCalls} calls in ${a.cycles} cycles (statusIntervalSeconds 1)`,
    ],
    ["peak RSS", a.peakRssMb.toFixed(0), "MB", `the runner, ${JOBS} jobs in the database`],
    [
      "peak RSS",
      b.peakRssMb.toFixed(0),
      "MB",
      `the runner, ${BIG} jobs in the database, 30 s of work (${b.completed} completed); goal < 150 MB`,
    ],
  ],
);
