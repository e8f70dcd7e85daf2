/**
 * start: → RUNNING once the run's started.json is seen (by `recover`, the runner, or a
 * reconciliation of an unknown submission). The scheduler id the wrapper recorded is added when
 * the submitter never got to record its own.
 */
import type { StoreOps } from "../../store/store.ts";

export interface StartRecord {
  runId: number;
  /** ms since the epoch, from started.json. */
  startedAt: number;
  host: string;
  heartbeatAt: number;
  schedulerId?: string | null;
  now: number;
}

/** Returns true when this call moved the run to RUNNING. */
export async function recordStart(tx: StoreOps, o: StartRecord): Promise<boolean> {
  const moved = await tx.updateRuns(
    [o.runId],
    {
      state: "RUNNING",
      startedAt: o.startedAt,
      host: o.host,
      heartbeatAt: o.heartbeatAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      ...(o.schedulerId ? { schedulerId: o.schedulerId } : {}),
    },
    o.now,
    { states: ["RESERVED", "STAGED", "SUBMITTED"], archived: false },
  );
  if (moved === 0) return false;
  const run = await tx.getRun(o.runId);
  await tx.transitionJobs([run!.jobId], {
    from: ["RESERVED", "STAGED", "SUBMITTED"],
    to: "RUNNING",
    reason: `started on ${o.host}`,
    runId: o.runId,
    now: o.now,
  });
  return true;
}
