/**
 * The scheduler request of a run: resources (worker defaults < job), paths, walltime warning,
 * and its run name — `ferry-<job>-r<run>-<scope>` (or the job's own resources.jobName with the
 * same suffix), by which a submission whose outcome is unknown is found again (common/names.ts).
 */
import { bundlePaths } from "../bundle/layout.ts";
import { resolveResources } from "../model/resources.ts";
import type { Job } from "../model/types.ts";
import { runJobName } from "../schedulers/common/names.ts";
import type { SubmitRequest } from "../schedulers/types.ts";
import type { BatchWorker, WorkerScheduler } from "./worker-exec.ts";

/** The name the run's batch job carries (and is looked up by). */
export function runNameOf(
  worker: BatchWorker,
  ws: WorkerScheduler,
  job: Pick<Job, "name" | "resources">,
  runId: number,
  launchDir: string,
): string {
  const resources = resolveResources(worker.scheduler, worker.defaultResources, job.resources);
  return runJobName(ws.scheduler.jobNameLimits, resources.jobName ?? `ferry-${job.name}`, runId, launchDir);
}

export function submitRequest(
  worker: BatchWorker,
  ws: WorkerScheduler,
  claim: { job: Pick<Job, "name" | "resources">; runId: number; launchDir: string },
): SubmitRequest {
  const paths = bundlePaths(claim.launchDir);
  const jobName = runNameOf(worker, ws, claim.job, claim.runId, claim.launchDir);
  const resources = {
    ...resolveResources(worker.scheduler, worker.defaultResources, claim.job.resources),
    jobName,
  };
  const req: SubmitRequest = {
    scriptPath: paths.script,
    workDir: claim.launchDir,
    jobName,
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
