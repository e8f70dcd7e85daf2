/** `ferry qlaunch singleshot|rapidfire`: pilot jobs that run ferry launch on compute nodes. */
import type { Project } from "../../api/project.ts";
import type { QlaunchRequest, QlaunchSummary } from "../../api/run.ts";
import type { CliContext } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { json, paint, plural } from "../output.ts";

interface Common {
  worker?: string;
  reserve?: boolean;
  once?: boolean;
  json?: boolean;
}

async function run(
  ctx: CliContext,
  o: Common,
  go: (p: Project, common: QlaunchRequest) => Promise<QlaunchSummary>,
): Promise<number> {
  const project = await ctx.project();
  if (project.config.database.kind === "sqlite")
    ctx.out.error(
      `${paint(ctx.out, "yellow", `note: pilots open ${project.config.database.path} from the compute nodes; that only works when they run on this machine (use PostgreSQL for a cluster)`).text}\n`,
    );
  const s = await go(project, {
    ...(o.worker !== undefined ? { worker: o.worker } : {}),
    ...(o.reserve ? { reserve: true } : {}),
    ...(o.once ? { once: true } : {}),
    onPilot: (p) =>
      ctx.out.error(
        `submitted pilot ${p.schedulerId}${p.runId !== null ? ` for run ${p.runId}` : ""} (${p.dir})\n`,
      ),
  });
  if (o.json) ctx.out.write(json(s));
  else {
    ctx.out.write(`submitted ${plural(s.pilots.length, "pilot")} (${s.stoppedBecause})\n`);
    for (const h of s.held)
      ctx.out.write(`${paint(ctx.out, "yellow", `! job ${h.jobId} held: ${h.message}`).text}\n`);
    for (const f of s.failed)
      ctx.out.write(`${paint(ctx.out, "red", `✗ job ${f.jobId} failed: ${f.message}`).text}\n`);
  }
  return s.held.length > 0 ? EXIT.scheduler : EXIT.ok;
}

export async function singleshot(ctx: CliContext, o: Common & { id?: number[] }): Promise<number> {
  return run(ctx, o, (p, common) =>
    p.qlaunch("singleshot", { ...common, ...(o.id ? { jobIds: o.id } : {}) }),
  );
}

export async function rapidfire(
  ctx: CliContext,
  o: Common & { maxQueued?: number; nlaunches?: number; sleep?: number; timeout?: number },
): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on("SIGINT", onSigint);
  try {
    return await run(ctx, o, (p, common) =>
      p.qlaunch("rapidfire", {
        ...common,
        ...(o.maxQueued !== undefined ? { maxQueued: o.maxQueued } : {}),
        ...(o.nlaunches !== undefined ? { nlaunches: o.nlaunches } : {}),
        ...(o.sleep !== undefined ? { sleepMs: o.sleep * 1000 } : {}),
        ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
        stop: stop.signal,
      }),
    );
  } finally {
    process.off("SIGINT", onSigint);
  }
}
