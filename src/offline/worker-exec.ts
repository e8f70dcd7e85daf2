/**
 * How a batch worker's scheduler commands run: through a transport (this machine for offline
 * workers, which share a filesystem with the cluster; the runner's SSH connection for managed
 * ones), behind the worker's commandPrefix.
 */
import type { ResolvedWorker } from "../config/load.ts";
import type { SchedulerAccess } from "../engine/lifecycle/reconcile.ts";
import { createPoller, type Poller } from "../schedulers/poller.ts";
import { getScheduler } from "../schedulers/registry.ts";
import { execLocal } from "../transport/local.ts";
import type { CommandSpec, Transport } from "../transport/types.ts";

export type BatchWorker = Extract<ResolvedWorker, { mode: "offline" | "managed" }>;

export interface WorkerScheduler extends SchedulerAccess {
  poller: Poller;
}

export function asBatchWorker(worker: ResolvedWorker): BatchWorker {
  if (worker.mode === "pull") {
    throw new Error(
      `worker "${worker.name}" is a pull worker: use ferry launch (offline commands need a worker with mode: offline)`,
    );
  }
  return worker;
}

export function workerScheduler(
  worker: BatchWorker,
  calls?: { count: number },
  transport?: Transport,
): WorkerScheduler {
  const scheduler = getScheduler(worker.scheduler, { pbsFlavor: worker.pbsFlavor });
  const prefix = worker.commandPrefix ?? [];
  const exec = (spec: CommandSpec) => {
    if (calls) calls.count++;
    const full = { ...spec, argv: [...prefix, ...spec.argv] };
    return transport ? transport.exec(full) : execLocal(full);
  };
  return {
    scheduler,
    exec,
    ...(worker.schedulerUser ? { user: worker.schedulerUser } : {}),
    poller: createPoller({
      scheduler,
      exec,
      minIntervalMs: worker.statusIntervalSeconds * 1000,
      ...(worker.schedulerUser ? { user: worker.schedulerUser } : {}),
    }),
  };
}
