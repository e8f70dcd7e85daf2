/** How a batch worker's scheduler commands run on this machine (offline workers share a filesystem). */
import type { ResolvedWorker } from "../config/load.ts";
import { createPoller, type Poller } from "../schedulers/poller.ts";
import { getScheduler } from "../schedulers/registry.ts";
import type { Scheduler } from "../schedulers/types.ts";
import { execLocal } from "../transport/local.ts";
import type { CommandOutput, CommandSpec } from "../transport/types.ts";

export type BatchWorker = Extract<ResolvedWorker, { mode: "offline" | "managed" }>;

export interface WorkerScheduler {
  scheduler: Scheduler;
  exec(spec: CommandSpec): Promise<CommandOutput>;
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

export function workerScheduler(worker: BatchWorker, calls?: { count: number }): WorkerScheduler {
  const scheduler = getScheduler(worker.scheduler, { pbsFlavor: worker.pbsFlavor });
  const prefix = worker.commandPrefix ?? [];
  const exec = (spec: CommandSpec) => {
    if (calls) calls.count++;
    return execLocal({ ...spec, argv: [...prefix, ...spec.argv] });
  };
  return {
    scheduler,
    exec,
    poller: createPoller({
      scheduler,
      exec,
      minIntervalMs: worker.statusIntervalSeconds * 1000,
      ...(worker.schedulerUser ? { user: worker.schedulerUser } : {}),
    }),
  };
}
