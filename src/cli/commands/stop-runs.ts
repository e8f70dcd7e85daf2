/**
 * How commands stop live runs: pull runs by signal (engine/stop.ts); scheduler jobs of offline
 * and managed runs through their worker's scheduler (cancel command run by the local transport).
 */
import type { StopOptions } from "../../engine/stop.ts";
import { LocalTransport } from "../../transport/local.ts";
import type { Context } from "../context.ts";

export function stopOptions(ctx: Context, reason: string): StopOptions {
  return {
    reason,
    transport: new LocalTransport(),
    cancelScheduled: async (runs) => {
      const { cancelSchedulerJobs } = await import("../../offline/cancel.ts");
      await cancelSchedulerJobs(ctx.project(), runs);
    },
  };
}
