/** `ferry qlaunch singleshot|rapidfire`. */
import { getWorker } from "../../config/load.ts";
import { UsageError } from "../../model/errors.ts";
import type { QueueWorker } from "../../qlaunch/pilot.ts";
import { type QlaunchSummary, qlaunchRapidfire, qlaunchSingleshot } from "../../qlaunch/qlaunch.ts";
import type { Context } from "../context.ts";
import { paint } from "../output.ts";

export interface QlaunchCommandOptions {
  worker?: string;
  reserve?: boolean;
  once?: boolean;
  id?: string[];
  maxQueued?: string;
  nlaunches?: string;
  sleep?: string;
  timeout?: string;
}

function queueWorker(ctx: Context, name: string | undefined): QueueWorker {
  const project = ctx.project();
  const candidates = Object.values(project.workers).filter((w) => w.mode === "pull" && w.queue);
  const worker = getWorker(project, name ?? candidates[0]?.name);
  if (worker.mode !== "pull" || !worker.queue) {
    throw new UsageError(
      `worker "${worker.name}" has no queue: section — qlaunch submits pilot jobs for a pull worker with queue: {scheduler: …}`,
    );
  }
  return worker as QueueWorker;
}

const num = (text: string | undefined, flag: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n >= 0)) throw new UsageError(`${flag} needs a number, got "${text}"`);
  return n;
};

export async function qlaunchCommand(
  ctx: Context,
  mode: "singleshot" | "rapidfire",
  o: QlaunchCommandOptions,
): Promise<QlaunchSummary> {
  const worker = queueWorker(ctx, o.worker);
  const project = ctx.project();
  if (project.database.kind === "sqlite") {
    ctx.out.error(
      paint(
        ctx.out,
        "yellow",
        `note: pilots open ${project.database.path} from the compute nodes; that only works when they run on this machine (use PostgreSQL for a cluster)\n`,
      ),
    );
  }
  const store = await ctx.store();
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on("SIGINT", onSigint);
  try {
    const nlaunches = o.nlaunches === "infinite" ? Number.POSITIVE_INFINITY : num(o.nlaunches, "--nlaunches");
    const common = {
      ...(o.reserve ? { reserve: true } : {}),
      ...(o.once ? { once: true } : {}),
      ...(o.id ? { jobIds: o.id.map(Number) } : {}),
      onPilot: (p: { schedulerId: string; dir: string; runId: number | null }) =>
        ctx.out.error(
          `submitted pilot ${p.schedulerId}${p.runId !== null ? ` for run ${p.runId}` : ""} (${p.dir})\n`,
        ),
    };
    if (mode === "singleshot") return await qlaunchSingleshot(store, project, worker, common);
    const maxQueued = num(o.maxQueued, "--max-queued");
    const sleep = num(o.sleep, "--sleep");
    const timeout = num(o.timeout, "--timeout");
    return await qlaunchRapidfire(store, project, worker, {
      ...common,
      ...(maxQueued !== undefined ? { maxQueued } : {}),
      ...(nlaunches !== undefined && nlaunches > 0 ? { nlaunches } : {}),
      ...(sleep !== undefined ? { sleepMs: sleep * 1000 } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
      stop: stop.signal,
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
}
