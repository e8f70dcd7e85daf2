/**
 * A flow's state is derived from its jobs' states, never stored (so it can never disagree with
 * them — FireWorks caches `fw_states` in the workflow document and has to repair it:
 * `Workflow.refresh` in fireworks/core/firework.py). It says what the flow is doing, or why it stopped:
 *
 *  1. ARCHIVED   every job is archived.
 *  2. COMPLETED  every live job is COMPLETED, except FAILED jobs whose children all run after
 *                failed parents (`allowFailedParents`) — those failures are absorbed.
 *  3. RUNNING    some job is active (RESERVED … FINISHED), or some job is READY after others
 *                already finished (work in progress).
 *  4. HELD       some job is held by an infrastructure failure (`ferry retry` resumes it).
 *  5. READY      jobs are READY and nothing has run yet.
 *  6. PAUSED     some job is paused and nothing else can move.
 *  7. FAILED     a failure blocks the flow (a FAILED job that is a leaf, or whose children do
 *                not all accept failed parents) and nothing else can move.
 *  8. CANCELLED  a cancelled job blocks the flow.
 *  9. WAITING    anything else (e.g. an empty flow).
 */
import { ACTIVE_STATES, type FlowState, type JobState } from "./states.ts";

export function deriveFlowState(
  counts: Partial<Record<JobState, number>>,
  blockingFailures: number,
): FlowState {
  const n = (s: JobState) => counts[s] ?? 0;
  const total = Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
  if (total === 0) return "WAITING";
  const live = total - n("ARCHIVED");
  if (live === 0) return "ARCHIVED";
  const completed = n("COMPLETED");
  const failed = n("FAILED");
  if (completed === live || (completed + failed === live && blockingFailures === 0)) return "COMPLETED";
  if (ACTIVE_STATES.some((s) => n(s) > 0)) return "RUNNING";
  if (n("HELD") > 0) return "HELD";
  if (n("READY") > 0) return completed + failed > 0 ? "RUNNING" : "READY";
  if (n("PAUSED") > 0) return "PAUSED";
  if (blockingFailures > 0) return "FAILED";
  if (n("CANCELLED") > 0) return "CANCELLED";
  return "WAITING";
}
