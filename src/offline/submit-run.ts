/**
 * Submit one STAGED run and record what happened, in the words of the lifecycle steps:
 *  - accepted, id read        → SUBMITTED with the id;
 *  - accepted, id unreadable  → looked up by its name; SUBMITTED with the id found (or none);
 *  - refused (a clear "no")   → HELD with the scheduler's message (`ferry retry` releases it);
 *  - the command cannot start (sbatch missing from cron's PATH) → HELD with that reason;
 *  - outcome unknown (timed out, or a "try again" answer such as slurmctld's socket timeout,
 *    after which the job may well be queued) → looked up by name at once; if it is not there
 *    yet the run stays STAGED and the next submit or detect-lost looks again before anything
 *    is submitted twice (engine/lifecycle/reconcile.ts).
 */
import type { ClaimedRun } from "../engine/claim.ts";
import { holdRun, reconcileSubmissions, recordSubmission } from "../engine/lifecycle/index.ts";
import { errorMessage, SchedulerError, TransportError } from "../model/errors.ts";
import type { RunError } from "../model/types.ts";
import { isTransient } from "../schedulers/common/retry.ts";
import type { SubmitRequest } from "../schedulers/types.ts";
import type { Store } from "../store/store.ts";
import type { CommandOutput, Transport } from "../transport/types.ts";
import { runNameOf } from "./request.ts";
import type { BatchWorker, WorkerScheduler } from "./worker-exec.ts";

export type SubmitResult =
  | { kind: "submitted"; schedulerId: string | null }
  | { kind: "held"; message: string }
  /** The submit command itself cannot be run: every other run of this worker would fail alike. */
  | { kind: "cannot-start"; message: string }
  | { kind: "unknown"; message: string };

export interface SubmitContext {
  store: Store;
  worker: BatchWorker;
  ws: WorkerScheduler;
  transport: Transport;
  owner: string;
}

const submitError = (message: string, out?: CommandOutput): RunError => ({
  message,
  stack: out?.stderr || null,
  exitCode: out?.exitCode ?? null,
  signal: null,
  task: null,
  reason: "submit",
});

export async function hold(c: SubmitContext, runId: number, message: string, out?: CommandOutput) {
  await c.store.transaction((tx) =>
    holdRun(tx, { runId, error: submitError(message, out), now: Date.now() }),
  );
}

/** Look the run up (files, then its name); SUBMITTED when found, else left STAGED for later. */
async function lookUp(c: SubmitContext, claim: ClaimedRun, why: string): Promise<SubmitResult> {
  const run = await c.store.getRun(claim.runId);
  if (!run) return { kind: "unknown", message: why };
  const r = await reconcileSubmissions(c.store, [run], {
    transport: c.transport,
    access: c.ws,
    nameOf: (x, job) => runNameOf(c.worker, c.ws, job, x.id, x.launchDir ?? ""),
    owner: c.owner,
    absent: "leave",
  });
  const found = r.found[0];
  if (found) return { kind: "submitted", schedulerId: found.schedulerId };
  if (r.started.length > 0 || r.collected.length > 0) return { kind: "submitted", schedulerId: null };
  const problem = r.problems[0]?.problem;
  return {
    kind: "unknown",
    message: `${why}; not in the ${c.ws.scheduler.name} queue yet${problem ? ` (${problem})` : ""} — looked up again before it is submitted again`,
  };
}

export async function submitStaged(
  c: SubmitContext,
  claim: ClaimedRun,
  req: SubmitRequest,
): Promise<SubmitResult> {
  const scheduler = c.ws.scheduler;
  let out: CommandOutput;
  try {
    out = await c.ws.exec(scheduler.submitCommand(req));
  } catch (e) {
    if (e instanceof TransportError && !e.retryable) {
      const message = `the submit command cannot be started: ${e.message}`;
      await hold(c, claim.runId, message);
      return { kind: "cannot-start", message };
    }
    return lookUp(c, claim, `the submission's outcome is unknown (${errorMessage(e)})`);
  }
  if (out.exitCode === 0) {
    let schedulerId: string | null = null;
    try {
      schedulerId = scheduler.parseSubmit(out);
    } catch (e) {
      const found = await lookUp(
        c,
        claim,
        `submitted, but the job id could not be read (${e instanceof SchedulerError ? e.message : errorMessage(e)})`,
      );
      if (found.kind === "submitted") return found;
      // accepted all the same: the bundle's files are followed without an id
      await c.store.transaction((tx) =>
        recordSubmission(tx, {
          runId: claim.runId,
          schedulerId: null,
          problem: found.message,
          reason: `submitted to ${scheduler.name} (id unknown)`,
          now: Date.now(),
        }),
      );
      return { kind: "submitted", schedulerId: null };
    }
    await c.store.transaction((tx) =>
      recordSubmission(tx, {
        runId: claim.runId,
        schedulerId,
        problem: null,
        reason: `submitted to ${scheduler.name} as ${schedulerId}`,
        now: Date.now(),
      }),
    );
    return { kind: "submitted", schedulerId };
  }
  const said = (out.stderr || out.stdout).trim().slice(0, 2000) || `exit ${out.exitCode}`;
  if (isTransient(scheduler, out)) {
    return lookUp(c, claim, `the scheduler did not answer clearly (${said.slice(0, 300)})`);
  }
  const message = `the scheduler refused the job: ${said}`;
  await hold(c, claim.runId, message, out);
  return { kind: "held", message };
}
