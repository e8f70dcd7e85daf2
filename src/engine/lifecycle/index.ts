/**
 * The lifecycle steps of a run, one module per step family. Each is an engine operation over the
 * store, guarded on the state it starts from, so that calling it twice changes nothing — the
 * runner retries steps with backoff, `offline submit`, `offline recover` and `detect-lost` call
 * the same ones by hand or from cron:
 *
 *   claim    READY → RESERVED (offline/managed) or RUNNING (pull)      engine/claim.ts
 *   stage    RESERVED → STAGED, bundle written                          stage.ts
 *   submit   STAGED → SUBMITTED with the scheduler id, or HELD          submit.ts
 *   start    RESERVED|STAGED|SUBMITTED → RUNNING from started.json      start.ts
 *   vanish   SUBMITTED|RUNNING → FINISHED (left the queue, no result)   finish.ts
 *   fail     FINISHED → FAILED with the scheduler's reason              finish.ts
 *   lost     → FAILED, run LOST, one transaction                        lost.ts
 *   collect  any active state → COMPLETED|FAILED, exactly once          engine/outcome.ts
 *   release  never submitted or never started → READY                   release.ts
 *   adopt    take over a dead submitter's RESERVED/STAGED runs          adopt.ts, reconcile.ts
 *   hold     STAGED|SUBMITTED|RUNNING|FINISHED → HELD, run untouched     hold.ts
 *
 * Functions taking a `tx` run inside the caller's transaction (several steps may share one);
 * the others open their own.
 */
export { type AbandonedQuery, findAbandonedSubmissions, takeOverRuns } from "./adopt.ts";
export { failVanished, recordVanished, type VanishRecord } from "./finish.ts";
export { HOLDABLE_IN_PLACE, holdInPlace } from "./hold.ts";
export { recordLost } from "./lost.ts";
export { leaseAbandoned, newLeaseOwner, ownerGone, parseLeaseOwner, wrapperAlive } from "./owner.ts";
export {
  type Reconciled,
  type ReconcileOptions,
  reconcileSubmissions,
  type SchedulerAccess,
} from "./reconcile.ts";
export { type ReleaseOptions, releaseRun } from "./release.ts";
export { type StageOptions, stageRuns } from "./stage.ts";
export { recordStart, type StartRecord } from "./start.ts";
export { holdRun, recordSubmission, type SubmissionRecord } from "./submit.ts";
