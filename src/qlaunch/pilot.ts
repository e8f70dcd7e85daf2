/**
 * Pilot jobs for `ferry qlaunch`: a batch script that runs `ferry launch` for a pull worker
 * inside an allocation (FireWorks' queue launcher payload `rlaunch …`). Each pilot lives in its
 * own `launcher_<time>` folder inside a `block_<date>` folder of the worker's launcherDir, with
 * its script, its scheduler output and a pilot.json naming its scheduler id.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedProject, ResolvedWorker } from "../config/load.ts";
import { formatWalltime, type ResolvedResources } from "../model/resources.ts";
import { packageFile } from "../package-files.ts";
import type { Scheduler, SubmitRequest } from "../schedulers/types.ts";
import { shJoin, shQuote } from "../transport/quote.ts";

export type QueueWorker = Extract<ResolvedWorker, { mode: "pull" }> & {
  queue: NonNullable<Extract<ResolvedWorker, { mode: "pull" }>["queue"]>;
};

export interface PilotFiles {
  dir: string;
  script: string;
  stdout: string;
  stderr: string;
  record: string;
}

export interface PilotRecord {
  schedulerId: string;
  submittedAt: number;
  worker: string;
  /** Reservation mode: the run the pilot was submitted for. */
  runId: number | null;
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace("T", "-").replace(/\..*/, "");
}

/** The current block folder (a new one per day), and a fresh launcher folder in it. */
export function newPilotDir(worker: QueueWorker): PilotFiles {
  const block = join(worker.queue.launcherDir, `block_${stamp().slice(0, 8)}`);
  let dir = join(block, `launcher_${stamp()}`);
  for (let i = 1; existsSync(dir); i++) dir = join(block, `launcher_${stamp()}_${i}`);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    script: join(dir, "pilot.sh"),
    stdout: join(dir, "pilot.out"),
    stderr: join(dir, "pilot.err"),
    record: join(dir, "pilot.json"),
  };
}

/** The command a compute node runs ferry with: configured, or this node and this ferry. */
export function ferryCommand(worker: QueueWorker): string[] {
  if (worker.queue.ferry) return worker.queue.ferry;
  return [process.execPath, packageFile("bin/ferry.mjs")];
}

/**
 * The pilot stops claiming new jobs this long before its walltime, so a job is not started
 * that cannot finish (FireWorks' rapidfire pilots have no such margin: fireworks/core/rocket_launcher.py).
 */
export function claimWindowSeconds(walltime: number | undefined): number | null {
  if (walltime === undefined) return null;
  return Math.max(1, walltime - Math.max(60, Math.floor(walltime * 0.1)));
}

export function renderPilot(
  project: ResolvedProject,
  worker: QueueWorker,
  directives: readonly string[],
  resources: ResolvedResources,
  o: { runId: number | null; once: boolean },
): string {
  const window = claimWindowSeconds(resources.walltimeSeconds);
  const argv = [
    ...ferryCommand(worker),
    "--project",
    project.file,
    "launch",
    "--worker",
    worker.name,
    "--quiet",
    ...(o.runId !== null ? ["--run", String(o.runId)] : o.once ? ["--once"] : []),
    ...(window !== null && o.runId === null ? ["--timeout", String(window)] : []),
  ];
  return [
    "#!/bin/sh",
    ...directives,
    `# ferry pilot for worker ${shQuote(worker.name)}${resources.walltimeSeconds ? ` (walltime ${formatWalltime(resources.walltimeSeconds)})` : ""}: runs ferry launch in this allocation.`,
    "# Written by ferry qlaunch; the compute node must reach the database.",
    ...(worker.queue.preRun ? [worker.queue.preRun] : []),
    `exec ${shJoin(argv)}`,
    "",
  ].join("\n");
}

export function pilotRequest(
  scheduler: Scheduler,
  files: PilotFiles,
  resources: ResolvedResources,
  name: string,
): SubmitRequest {
  void scheduler;
  return {
    scriptPath: files.script,
    workDir: files.dir,
    jobName: name,
    stdoutPath: files.stdout,
    stderrPath: files.stderr,
    resources,
  };
}

export function writePilot(files: PilotFiles, script: string): void {
  writeFileSync(files.script, script, { mode: 0o755 });
}

export function recordPilot(files: PilotFiles, record: PilotRecord): void {
  writeFileSync(files.record, `${JSON.stringify(record)}\n`);
}

/** Pilots recorded in the worker's launcher folder (newest block first), for counting queued ones. */
export function knownPilots(worker: QueueWorker, maxBlocks = 3): PilotRecord[] {
  const root = worker.queue.launcherDir;
  if (!existsSync(root)) return [];
  const out: PilotRecord[] = [];
  for (const block of readdirSync(root)
    .filter((b) => b.startsWith("block_"))
    .sort()
    .reverse()
    .slice(0, maxBlocks)) {
    for (const l of readdirSync(join(root, block))) {
      const f = join(root, block, l, "pilot.json");
      if (!existsSync(f)) continue;
      try {
        out.push(JSON.parse(readFileSync(f, "utf8")) as PilotRecord);
      } catch {
        // a pilot.json being written: it will be counted next time
      }
    }
  }
  return out;
}
