/** `ferry detect-lost [--fail | --rerun [--task-level]]`. */
import { newLeaseOwner } from "../../engine/lifecycle/index.ts";
import { detectLost, handleLost, type LostHandling, type LostRun } from "../../engine/lost.ts";
import { UsageError } from "../../model/errors.ts";
import { type DeadSubmissions, deadSubmissions } from "../../offline/adopt.ts";
import { asBatchWorker } from "../../offline/worker-exec.ts";
import { LocalTransport } from "../../transport/local.ts";
import type { Context } from "../context.ts";

export interface LostReport {
  lost: {
    jobId: number;
    name: string;
    runId: number;
    mode: string;
    verdict: LostRun["verdict"];
    why: string;
    checkpointTask: number | null;
  }[];
  handled: LostHandling;
  /** Offline runs a dead `offline submit` left RESERVED or STAGED (adopted with --fail/--rerun). */
  submissions: DeadSubmissions;
}

export async function detectLostCommand(
  ctx: Context,
  o: { fail?: boolean; rerun?: boolean; taskLevel?: boolean },
): Promise<LostReport> {
  if (o.fail && o.rerun) throw new UsageError("--fail and --rerun exclude each other");
  if (o.taskLevel && !o.rerun) throw new UsageError("--task-level needs --rerun");
  const project = ctx.project();
  const store = await ctx.store();
  const transport = new LocalTransport();
  const lost = await detectLost(store, {
    transport,
    abandonedHere: true,
    heartbeatLimitMs: (name) => {
      const w = name ? project.workers[name] : undefined;
      return (w && w.mode !== "pull" ? w.lostAfterSeconds : 600) * 1000;
    },
  });
  const handled = await handleLost(store, lost, o.fail ? "fail" : o.rerun ? "rerun" : "report", {
    transport,
    ...(o.taskLevel ? { taskLevel: true } : {}),
  });
  const submissions = await deadSubmissions(
    store,
    Object.values(project.workers)
      .filter((w) => w.mode === "offline")
      .map(asBatchWorker),
    { transport, owner: newLeaseOwner(transport.host), act: o.fail === true || o.rerun === true },
  );
  return {
    lost: lost.map((l) => ({
      jobId: l.job.id,
      name: l.job.name,
      runId: l.run.id,
      mode: l.run.mode,
      verdict: l.verdict,
      why: l.why,
      checkpointTask: l.checkpoint?.task ?? null,
    })),
    handled,
    submissions,
  };
}
