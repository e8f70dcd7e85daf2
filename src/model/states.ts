/**
 * The job state table: every state a job can be in and every transition the engine may make.
 *
 * One table, used by every caller (store, engine, launcher, offline, CLI). A transition that
 * is not listed here is a bug, and `assertTransition` turns it into an error instead of a
 * silently inconsistent database (FireWorks derives states from launches and can end up with
 * a RUNNING firework whose launch is COMPLETED: `Workflow.refresh` in fireworks/core/firework.py).
 *
 *   WAITING → READY → RESERVED → STAGED → SUBMITTED → RUNNING → FINISHED → COMPLETED | FAILED
 *
 * Pull mode goes READY → RUNNING directly (the run holds a lease). FINISHED means "the process
 * is gone, the result is not collected yet"; only collecting a result decides COMPLETED/FAILED,
 * which is why a collector may also go straight from SUBMITTED/RUNNING to COMPLETED/FAILED when
 * the result is already there.
 */

export const JOB_STATES = [
  "WAITING",
  "READY",
  "RESERVED",
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
  "COMPLETED",
  "FAILED",
  "PAUSED",
  "CANCELLED",
  "HELD",
  "ARCHIVED",
] as const;

export type JobState = (typeof JOB_STATES)[number];

/** States in which a run exists and may be doing work somewhere (a scheduler job, a process). */
export const ACTIVE_STATES = [
  "RESERVED",
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
] as const satisfies readonly JobState[];
export type ActiveState = (typeof ACTIVE_STATES)[number];

/** States a user can pause from. */
export const PAUSABLE_STATES = ["WAITING", "READY"] as const satisfies readonly JobState[];

/** States that end a job's life until a user acts (rerun, reignite, resume, retry). */
export const SETTLED_STATES = [
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "ARCHIVED",
] as const satisfies readonly JobState[];

const rerunTargets = ["WAITING", "READY"] as const;

/**
 * Allowed transitions. Reruns reset a job to WAITING or READY from any state but ARCHIVED; from
 * an active state only with `--force`, after the live run has been stopped (engine/rerun.ts).
 */
export const TRANSITIONS: { readonly [S in JobState]: readonly JobState[] } = {
  WAITING: ["READY", "PAUSED", "CANCELLED", "ARCHIVED"],
  READY: ["WAITING", "RESERVED", "RUNNING", "PAUSED", "CANCELLED", "ARCHIVED"],
  RESERVED: ["STAGED", "SUBMITTED", "RUNNING", "HELD", "CANCELLED", "FAILED", ...rerunTargets],
  STAGED: ["SUBMITTED", "RUNNING", "HELD", "CANCELLED", "FAILED", ...rerunTargets],
  SUBMITTED: ["RUNNING", "FINISHED", "COMPLETED", "FAILED", "HELD", "CANCELLED", ...rerunTargets],
  RUNNING: ["FINISHED", "COMPLETED", "FAILED", "HELD", "CANCELLED", ...rerunTargets],
  FINISHED: ["COMPLETED", "FAILED", "HELD", "CANCELLED", ...rerunTargets],
  COMPLETED: ["ARCHIVED", ...rerunTargets],
  FAILED: ["CANCELLED", "ARCHIVED", ...rerunTargets],
  PAUSED: ["CANCELLED", "ARCHIVED", ...rerunTargets],
  CANCELLED: ["ARCHIVED", ...rerunTargets],
  HELD: [
    "RESERVED",
    "STAGED",
    "SUBMITTED",
    "RUNNING",
    "FINISHED",
    "FAILED",
    "CANCELLED",
    "ARCHIVED",
    ...rerunTargets,
  ],
  ARCHIVED: [],
};

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}

export function isActive(state: JobState): state is ActiveState {
  return (ACTIVE_STATES as readonly string[]).includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class InvalidTransitionError extends Error {
  override name = "InvalidTransitionError";
  readonly from: JobState;
  readonly to: JobState;
  readonly jobId: number | undefined;
  constructor(from: JobState, to: JobState, jobId?: number) {
    super(`job ${jobId ?? "?"}: ${from} → ${to} is not an allowed transition (see src/model/states.ts)`);
    this.from = from;
    this.to = to;
    this.jobId = jobId;
  }
}

export function assertTransition(from: JobState, to: JobState, jobId?: number): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, jobId);
}

/** States of one attempt (a run). A rerun archives runs; it never deletes them. */
export const RUN_STATES = [
  "RESERVED",
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
  "COMPLETED",
  "FAILED",
  "LOST",
  "CANCELLED",
  "INTERRUPTED",
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const ACTIVE_RUN_STATES = [
  "RESERVED",
  "STAGED",
  "SUBMITTED",
  "RUNNING",
  "FINISHED",
] as const satisfies readonly RunState[];

export function isRunActive(state: RunState): boolean {
  return (ACTIVE_RUN_STATES as readonly string[]).includes(state);
}

/** Flow states, derived from job states (engine/flow-state.ts); never stored. */
export const FLOW_STATES = [
  "WAITING",
  "READY",
  "RUNNING",
  "HELD",
  "PAUSED",
  "FAILED",
  "CANCELLED",
  "COMPLETED",
  "ARCHIVED",
] as const;
export type FlowState = (typeof FLOW_STATES)[number];
