/**
 * Offline runs whose launch directories a test fills with hostile files: a project with an
 * offline worker, jobs claimed and marked SUBMITTED as `offline submit` leaves them (no
 * scheduler id, so recover asks no scheduler), and the protocol files a healthy wrapper writes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bundlePaths } from "../src/bundle/layout.ts";
import { claimRuns } from "../src/engine/claim.ts";
import { writeFileAtomic } from "../src/transport/local.ts";
import { type TestProject, testProject } from "./helpers/project.ts";
import type { DialectCase } from "./helpers/stores.ts";

export const offlineWorker = {
  cluster: {
    mode: "offline",
    scheduler: "shell",
    workDir: "runs",
    heartbeatSeconds: 1,
    statusIntervalSeconds: 0.2,
    lostAfterSeconds: 60,
    node: process.execPath,
  },
};

export interface HostileRun {
  jobId: number;
  runId: number;
  launchDir: string;
  paths: ReturnType<typeof bundlePaths>;
}

export function offlineProject(d: DialectCase): Promise<TestProject> {
  return testProject(d, {}, { workers: offlineWorker });
}

/** Add `count` independent jobs of `tasks` sh tasks each and leave them SUBMITTED. */
export async function submittedRuns(p: TestProject, count: number, tasks = 1): Promise<HostileRun[]> {
  const jobs = Array.from(
    { length: count },
    (_, i) =>
      `  - name: j${i}\n    tasks:\n${Array.from({ length: tasks }, (_, t) => `      - sh: "echo ${t}"\n`).join("")}`,
  ).join("");
  const ids = await p.add(`name: hostile\njobs:\n${jobs}`);
  const { claimed } = await claimRuns(p.store, {
    worker: { name: "cluster", workDir: join(p.dir, "runs"), categories: [] },
    limit: count,
    to: "RESERVED",
    mode: "offline",
    leaseOwner: null,
    leaseMs: null,
    host: "login",
  });
  const now = Date.now();
  await p.store.transaction(async (tx) => {
    await tx.updateRuns(
      claimed.map((c) => c.runId),
      { state: "SUBMITTED" },
      now,
    );
    await tx.transitionJobs(
      claimed.map((c) => c.job.id),
      { from: ["RESERVED"], to: "SUBMITTED", reason: "test", now },
    );
  });
  const byJob = new Map(claimed.map((c) => [c.job.id, c]));
  return Object.values(ids).map((jobId) => {
    const c = byJob.get(jobId)!;
    const paths = bundlePaths(c.launchDir);
    for (let t = 0; t < tasks; t++) mkdirSync(paths.task(t).dir, { recursive: true });
    return { jobId, runId: c.runId, launchDir: c.launchDir, paths };
  });
}

/** What run.sh writes for a run that completed `tasks` tasks. */
export function completedResult(runId: number, tasks = 1, extra: Record<string, unknown> = {}) {
  const t = Math.floor(Date.now() / 1000);
  return {
    runId,
    state: "COMPLETED",
    exitCode: 0,
    signal: null,
    task: null,
    nextTask: tasks,
    stopped: false,
    warning: false,
    startedAt: t - 1,
    finishedAt: t,
    ...extra,
  };
}

export function failedResult(runId: number, task: number, extra: Record<string, unknown> = {}) {
  return completedResult(runId, task, { state: "FAILED", exitCode: 3, task, nextTask: task, ...extra });
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, typeof value === "string" ? value : JSON.stringify(value));
}
