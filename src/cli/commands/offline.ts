/** `ferry offline submit|recover|forget` and `ferry retry`. */
import { getWorker } from "../../config/load.ts";
import { retryJobs } from "../../engine/control.ts";
import { UsageError } from "../../model/errors.ts";
import { forgetRuns } from "../../offline/forget.ts";
import { offlineRecover, type RecoverSummary } from "../../offline/recover.ts";
import { offlineSubmit, type SubmitSummary } from "../../offline/submit.ts";
import { asBatchWorker } from "../../offline/worker-exec.ts";
import type { Context } from "../context.ts";
import { paint } from "../output.ts";
import { type ChangeOptions, confirm, selectJobs } from "./change.ts";

function offlineWorker(ctx: Context, name: string | undefined) {
  const project = ctx.project();
  const worker = getWorker(
    project,
    name ?? Object.values(project.workers).find((w) => w.mode === "offline")?.name,
  );
  if (worker.mode !== "offline")
    throw new UsageError(
      `worker "${worker.name}" is a ${worker.mode} worker; offline commands need mode: offline`,
    );
  return asBatchWorker(worker);
}

export async function submitCommand(
  ctx: Context,
  o: { worker?: string; maxJobs?: string; id?: string[] },
): Promise<SubmitSummary> {
  const worker = offlineWorker(ctx, o.worker);
  const maxJobs = o.maxJobs === undefined ? undefined : Number(o.maxJobs);
  if (maxJobs !== undefined && !(maxJobs > 0)) throw new UsageError("--max-jobs needs a positive number");
  return offlineSubmit(await ctx.store(), ctx.project(), worker, {
    ...(maxJobs !== undefined ? { maxJobs } : {}),
    ...(o.id ? { jobIds: o.id.map(Number) } : {}),
    events: ctx.events,
  });
}

export async function recoverCommand(
  ctx: Context,
  o: { worker?: string; quiet?: boolean },
): Promise<RecoverSummary> {
  const project = ctx.project();
  if (o.worker) offlineWorker(ctx, o.worker);
  const store = await ctx.store();
  const total = (
    await store.findRuns({
      states: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
      modes: ["offline"],
      ...(o.worker ? { workers: [o.worker] } : {}),
    })
  ).length;
  let seen = 0;
  const tty = process.stderr.isTTY === true && !o.quiet;
  const draw = () => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((width * seen) / total);
    ctx.out.error(
      `\r\x1b[Krecovering ${paint(ctx.out, "cyan", "█".repeat(filled))}${"·".repeat(width - filled)} ${seen}/${total} runs`,
    );
  };
  const off = ctx.events.on("offline:recovered", () => {
    seen++;
    if (tty && (seen % 50 === 0 || seen === total)) draw();
  });
  try {
    return await offlineRecover(store, project, {
      ...(o.worker ? { worker: o.worker } : {}),
      events: ctx.events,
    });
  } finally {
    off();
    if (tty && total > 0) ctx.out.error("\r\x1b[K");
  }
}

export async function forgetCommand(ctx: Context, o: ChangeOptions) {
  const selected = await selectJobs(ctx, o, "offline forget");
  if (o.dryRun || selected.length === 0)
    return { dryRun: o.dryRun === true, selected, runIds: [] as number[] };
  await confirm(o, selected.length, "offline forget");
  return {
    dryRun: false,
    selected,
    ...(await forgetRuns(
      await ctx.store(),
      selected.map((s) => s.id),
    )),
  };
}

export async function retryCommand(ctx: Context, o: ChangeOptions) {
  const selected = await selectJobs(ctx, o, "retry");
  if (o.dryRun || selected.length === 0)
    return { command: "retry", dryRun: o.dryRun === true, selected, result: null };
  await confirm(o, selected.length, "retry");
  return {
    command: "retry",
    dryRun: false,
    selected,
    result: await retryJobs(
      await ctx.store(),
      selected.map((s) => s.id),
    ),
  };
}
