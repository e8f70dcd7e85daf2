/**
 * `ferry offline submit` (FireWorks' `qlaunch -r … --offline`): reserve READY jobs for an
 * offline worker, write each one's bundle into its launch directory on the shared filesystem,
 * submit run.sh to the worker's scheduler and record the scheduler's job id. The compute node
 * needs nothing but sh (and node for js tasks, python for py tasks) and never touches the database.
 *
 *   READY → RESERVED (claimed) → STAGED (bundle written) → SUBMITTED (scheduler id recorded)
 *
 * A submission the scheduler refuses holds the job (HELD, with the scheduler's message;
 * `ferry retry` releases it) instead of retrying it blindly on every call. A submission that
 * succeeded but whose id could not be read stays SUBMITTED: the bundle's own files, not the
 * scheduler id, tell `recover` what happened.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { bundlePaths } from "../bundle/layout.ts";
import { writeBundle } from "../bundle/write.ts";
import type { ResolvedProject } from "../config/load.ts";
import { type ClaimedRun, claimRuns } from "../engine/claim.ts";
import { failClaimed } from "../engine/fail-claimed.ts";
import { errorMessage, SchedulerError, ValidationError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import { resolveResources } from "../model/resources.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { RunError } from "../model/types.ts";
import type { SubmitRequest } from "../schedulers/types.ts";
import type { Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import { type BatchWorker, type WorkerScheduler, workerScheduler } from "./worker-exec.ts";

export interface SubmitOptions {
  maxJobs?: number;
  /** Only these jobs (if READY). */
  jobIds?: readonly number[];
  events?: FerryEvents;
}

export interface SubmitSummary {
  worker: string;
  submitted: { jobId: number; name: string; runId: number; schedulerId: string | null; launchDir: string }[];
  failed: { jobId: number; name: string; message: string }[];
  held: { jobId: number; name: string; message: string }[];
  /** Why fewer jobs than asked were submitted (maxQueued reached, nothing READY). */
  limitedBy: string | null;
}

const local = new LocalTransport();

/** The scheduler request of one claimed run: resources (worker defaults < job), names, paths, warning. */
export function submitRequest(worker: BatchWorker, ws: WorkerScheduler, claim: ClaimedRun): SubmitRequest {
  const paths = bundlePaths(claim.launchDir);
  const resources = resolveResources(worker.scheduler, worker.defaultResources, claim.job.resources);
  const req: SubmitRequest = {
    scriptPath: paths.script,
    workDir: claim.launchDir,
    jobName: `ferry-${claim.job.name}`,
    stdoutPath: paths.schedulerOut,
    stderrPath: paths.schedulerErr,
    resources,
  };
  const signal = ws.scheduler.warningSignals[0];
  if (signal && worker.walltimeWarningSeconds > 0 && resources.walltimeSeconds !== undefined) {
    req.warning = {
      signal,
      secondsBefore: Math.min(worker.walltimeWarningSeconds, Math.floor(resources.walltimeSeconds / 2)),
    };
  }
  return req;
}

async function failRun(
  store: Store,
  claim: ClaimedRun,
  error: RunError,
  to: "FAILED" | "HELD",
): Promise<void> {
  await store.transaction((tx) =>
    failClaimed(tx, {
      runId: claim.runId,
      jobId: claim.job.id,
      from: ["RESERVED", "STAGED"],
      error,
      to,
      now: Date.now(),
    }),
  );
}

export async function offlineSubmit(
  store: Store,
  project: ResolvedProject,
  worker: BatchWorker,
  o: SubmitOptions = {},
): Promise<SubmitSummary> {
  const ws = workerScheduler(worker);
  const summary: SubmitSummary = {
    worker: worker.name,
    submitted: [],
    failed: [],
    held: [],
    limitedBy: null,
  };
  const active = (
    await store.findRuns({ states: ACTIVE_RUN_STATES, workers: [worker.name], modes: ["offline"] })
  ).length;
  let room = Number.POSITIVE_INFINITY;
  if (worker.maxQueued !== undefined) {
    room = worker.maxQueued - active;
    if (room <= 0) {
      summary.limitedBy = `maxQueued: ${active} of this worker's jobs are queued or running (limit ${worker.maxQueued})`;
      return summary;
    }
  }
  const limit = Math.min(room, o.maxJobs ?? Number.POSITIVE_INFINITY);
  const cacheDir = join(project.dir, ".ferry", "cache", "bundles");
  let submittedCount = 0;
  while (submittedCount < limit) {
    const batch = Math.min(50, limit - submittedCount);
    const claimed = await claimRuns(store, {
      worker: { name: worker.name, workDir: worker.workDir, categories: worker.categories },
      limit: batch,
      to: "RESERVED",
      mode: "offline",
      leaseOwner: null,
      leaseMs: null,
      host: hostname(),
      ...(o.jobIds ? { jobIds: o.jobIds } : {}),
    });
    for (const f of claimed.failed)
      summary.failed.push({ jobId: f.job.id, name: f.job.name, message: f.message });
    if (claimed.claimed.length === 0 && claimed.failed.length === 0) break;
    for (const claim of claimed.claimed) {
      submittedCount++;
      const req = submitRequest(worker, ws, claim);
      let directives: string[];
      try {
        directives = ws.scheduler.renderDirectives(req);
        await writeBundle(local, {
          launchDir: claim.launchDir,
          runId: claim.runId,
          attempt: claim.attempt,
          job: claim.job,
          inputs: claim.inputs,
          recovery: claim.recovery,
          heartbeatSeconds: worker.heartbeatSeconds,
          directives,
          env: worker.env,
          ...(worker.preRun ? { preRun: worker.preRun } : {}),
          node: worker.node,
          python: worker.python,
          cacheDir,
          copyFrom: claim.recovery?.dirMode === "copy" ? claim.recovery.previousDir : null,
          worker: worker.name,
        });
      } catch (e) {
        const message =
          e instanceof ValidationError ? e.message : `cannot write the bundle: ${errorMessage(e)}`;
        await failRun(
          store,
          claim,
          { message, stack: null, exitCode: null, signal: null, task: null, reason: "bundle" },
          "FAILED",
        );
        summary.failed.push({ jobId: claim.job.id, name: claim.job.name, message });
        continue;
      }
      const staged = Date.now();
      await store.transaction(async (tx) => {
        await tx.updateRuns([claim.runId], { state: "STAGED" }, staged);
        await tx.transitionJobs([claim.job.id], {
          from: ["RESERVED"],
          to: "STAGED",
          reason: "bundle written",
          runId: claim.runId,
          now: staged,
        });
      });
      const out = await ws.exec(ws.scheduler.submitCommand(req));
      let schedulerId: string | null = null;
      let problem: string | null = null;
      if (out.exitCode !== 0) {
        const message = `the scheduler refused the job: ${(out.stderr || out.stdout).trim().slice(0, 2000) || `exit ${out.exitCode}`}`;
        await failRun(
          store,
          claim,
          {
            message,
            stack: out.stderr || null,
            exitCode: out.exitCode,
            signal: null,
            task: null,
            reason: "submit",
          },
          "HELD",
        );
        summary.held.push({ jobId: claim.job.id, name: claim.job.name, message });
        continue;
      }
      try {
        schedulerId = ws.scheduler.parseSubmit(out);
      } catch (e) {
        problem = `submitted, but the job id could not be read (${e instanceof SchedulerError ? e.message : errorMessage(e)}); the bundle's files are followed all the same`;
      }
      const now = Date.now();
      await store.transaction(async (tx) => {
        await tx.updateRuns(
          [claim.runId],
          { state: "SUBMITTED", schedulerId, schedulerState: "queued", problem },
          now,
        );
        await tx.transitionJobs([claim.job.id], {
          from: ["STAGED"],
          to: "SUBMITTED",
          reason: `submitted to ${worker.scheduler}${schedulerId ? ` as ${schedulerId}` : ""}`,
          runId: claim.runId,
          now,
        });
      });
      summary.submitted.push({
        jobId: claim.job.id,
        name: claim.job.name,
        runId: claim.runId,
        schedulerId,
        launchDir: claim.launchDir,
      });
      o.events?.emit("offline:submitted", {
        jobId: claim.job.id,
        runId: claim.runId,
        schedulerId: schedulerId ?? "?",
        launchDir: claim.launchDir,
      });
    }
  }
  if (submittedCount >= room && Number.isFinite(room))
    summary.limitedBy = `maxQueued (${worker.maxQueued}) reached`;
  return summary;
}
