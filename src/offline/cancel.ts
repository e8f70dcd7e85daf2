/**
 * Cancel the scheduler jobs of offline (and local managed) runs: one cancel call per worker,
 * asked again when the controller was busy (common/retry.ts): a cancel that silently failed
 * would leave the job to run on the cluster while ferry calls it CANCELLED.
 */

import { cancelQueued } from "../batch/cancel.ts";
import { batchOf } from "../batch/recover.ts";
import type { ResolvedProject } from "../config/load.ts";
import { SchedulerError } from "../model/errors.ts";
import type { Run } from "../model/types.ts";
import { execIdempotent } from "../schedulers/common/retry.ts";
import { getScheduler } from "../schedulers/registry.ts";
import { LocalTransport } from "../transport/local.ts";
import type { Transport } from "../transport/types.ts";

export async function cancelSchedulerJobs(
  project: ResolvedProject,
  runs: readonly Run[],
  transport: Transport = new LocalTransport(),
): Promise<void> {
  const byWorker = new Map<string, Run[]>();
  const batched = new Map<string, Run[]>();
  for (const r of runs) {
    // a batch run's scheduler id is its pilot's, which runs other jobs too: never cancelled here
    if (r.worker && batchOf(project.workers[r.worker]) !== null) {
      batched.set(r.worker, [...(batched.get(r.worker) ?? []), r]);
      continue;
    }
    if (!r.schedulerId || !r.worker) continue;
    byWorker.set(r.worker, [...(byWorker.get(r.worker) ?? []), r]);
  }
  const problems: string[] = [];
  for (const [name, list] of batched) await cancelQueued(transport, project.workers[name]!.workDir, list);
  for (const [name, list] of byWorker) {
    const worker = project.workers[name];
    if (!worker || worker.mode === "pull") {
      problems.push(`worker "${name}" is not in ${project.file} as an offline or managed worker`);
      continue;
    }
    const scheduler = getScheduler(worker.scheduler);
    const ids = list.map((r) => r.schedulerId!);
    const spec = scheduler.cancelCommand(ids);
    const out = await execIdempotent((c) => transport.exec(c), scheduler, spec);
    try {
      scheduler.parseCancel(out, ids);
    } catch (e) {
      const tries = out.attempts > 1 ? ` (after ${out.attempts} attempts)` : "";
      problems.push(e instanceof SchedulerError ? `${e.message}${tries}: ${e.stderr.trim()}` : String(e));
    }
  }
  if (problems.length > 0) {
    throw new SchedulerError(`cannot cancel every scheduler job: ${problems.join("; ")}`, {
      command: "cancel",
      exitCode: null,
      stderr: problems.join("\n"),
    });
  }
}
