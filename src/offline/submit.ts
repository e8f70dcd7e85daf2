/**
 * `ferry offline submit` (FireWorks' `qlaunch -r … --offline`): reserve READY jobs for an
 * offline worker, write each one's bundle into its launch directory on the shared filesystem,
 * submit run.sh to the worker's scheduler and record the scheduler's job id. The compute node
 * needs nothing but sh (and node for js tasks, python for py tasks) and never touches the database.
 *
 *   READY → RESERVED (claimed, with this process's lease) → STAGED (bundle written)
 *         → SUBMITTED (scheduler id recorded) — or HELD with the reason
 *
 * Every process can die at any instruction, so: a batch is claimed only to be staged at once
 * (bundles written, then staged together), and what an earlier submit left half-way is adopted
 * first (adopt.ts): RESERVED runs go back to READY, STAGED ones are looked up — launch directory,
 * then the scheduler by the run's job name — before anything is submitted again.
 */
import { join } from "node:path";
import { enqueueStaged } from "../batch/enqueue.ts";
import { queuePaths } from "../batch/layout.ts";
import { type PilotsSummary, providePilots } from "../batch/pilots.ts";
import { writeBundle } from "../bundle/write.ts";
import type { ResolvedProject } from "../config/load.ts";
import { type ClaimedRun, claimRuns } from "../engine/claim.ts";
import { failClaimed } from "../engine/fail-claimed.ts";
import { newLeaseOwner, stageRuns } from "../engine/lifecycle/index.ts";
import { errorMessage, TransportError, ValidationError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import { runError } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import { BatchingTransport } from "../transport/batching.ts";
import { LocalTransport } from "../transport/local.ts";
import type { Transport } from "../transport/types.ts";
import { type Adopted, adoptAbandoned, SUBMIT_LEASE_MS } from "./adopt.ts";
import { submitRequest } from "./request.ts";
import { hold, type SubmitContext, submitStaged } from "./submit-run.ts";
import { type BatchWorker, workerScheduler } from "./worker-exec.ts";

export { submitRequest } from "./request.ts";

export interface SubmitOptions {
  maxJobs?: number;
  /** Only these jobs (if READY). */
  jobIds?: readonly number[];
  events?: FerryEvents;
  /** Where bundles are written and commands run (default: this machine). */
  transport?: Transport;
  /** The lease owner written on claimed runs (default: a new one for this process on the transport's host). */
  owner?: string;
  /** How long a claim protects its runs from adoption (default 10 min; a runner renews shorter ones). */
  leaseMs?: number;
  /** Adopt what this owner itself left half-way too (the runner: its previous cycle was cut off). */
  adoptOwn?: boolean;
  /** Write each claimed batch's bundles together (transport/batching.ts): the runner over SSH. */
  batchUploads?: boolean;
}

export interface SubmitSummary {
  worker: string;
  submitted: { jobId: number; name: string; runId: number; schedulerId: string | null; launchDir: string }[];
  failed: { jobId: number; name: string; message: string }[];
  held: { jobId: number; name: string; message: string }[];
  /** Submitted, but whether the scheduler has them is not known yet: looked up again next time. */
  unknown: { jobId: number; name: string; message: string }[];
  /** What an earlier submit that stopped half-way left, and what became of it. */
  adopted: Adopted;
  /** Why fewer jobs than asked were submitted (maxQueued reached, nothing READY). */
  limitedBy: string | null;
  /**
   * Set when submitting stopped because the worker's infrastructure failed (a bundle could not be
   * written, the submit command could not start): the rest of the batch was HELD with this reason.
   */
  stoppedBy: string | null;
  /** Batch workers: the jobs above went to the folder queue; these pilots run them. */
  pilots?: PilotsSummary;
}

/** Claimed runs are staged in batches this size: a kill -9 strands at most one batch, briefly. */
const BATCH = 50;

export async function offlineSubmit(
  store: Store,
  project: ResolvedProject,
  worker: BatchWorker,
  o: SubmitOptions = {},
): Promise<SubmitSummary> {
  const transport = o.transport ?? new LocalTransport();
  const ws = workerScheduler(worker, undefined, transport);
  const owner = o.owner ?? newLeaseOwner(transport.host);
  const leaseMs = o.leaseMs ?? SUBMIT_LEASE_MS;
  const c: SubmitContext = { store, worker, ws, transport, owner };
  const adopted = await adoptAbandoned(store, worker, {
    transport,
    ws,
    owner,
    leaseMs,
    ...(o.adoptOwn ? { ownLeftovers: true } : {}),
  });
  const summary: SubmitSummary = {
    worker: worker.name,
    submitted: [],
    failed: [],
    held: [],
    unknown: [],
    adopted,
    limitedBy: null,
    stoppedBy: null,
  };
  const active = (
    await store.findRuns({ states: ACTIVE_RUN_STATES, workers: [worker.name], modes: [worker.mode] })
  ).length;
  let room = Number.POSITIVE_INFINITY;
  // a batch worker's maxQueued counts pilots (batch/pilots.ts), not jobs
  if (worker.maxQueued !== undefined && !worker.batch) {
    room = worker.maxQueued - active;
    if (room <= 0) {
      summary.limitedBy = `maxQueued: ${active} of this worker's jobs are queued or running (limit ${worker.maxQueued})`;
      return summary;
    }
  }
  const limit = Math.min(room, o.maxJobs ?? Number.POSITIVE_INFINITY);
  const cacheDir = join(project.dir, ".ferry", "cache", "bundles");
  let taken = 0;
  let broken: string | null = null;
  while (taken < limit && broken === null) {
    const claimed = await claimRuns(store, {
      worker: { name: worker.name, workDir: worker.workDir, categories: worker.categories },
      limit: Math.min(BATCH, limit - taken),
      to: "RESERVED",
      mode: worker.mode,
      leaseOwner: owner,
      leaseMs,
      host: transport.host,
      ...(o.jobIds ? { jobIds: o.jobIds } : {}),
    });
    for (const f of claimed.failed)
      summary.failed.push({ jobId: f.job.id, name: f.job.name, message: f.message });
    if (claimed.claimed.length === 0 && claimed.failed.length === 0) break;
    taken += claimed.claimed.length;
    const written: { claim: ClaimedRun; req: ReturnType<typeof submitRequest> }[] = [];
    const writer = o.batchUploads ? new BatchingTransport(transport) : transport;
    for (const claim of claimed.claimed) {
      const req = submitRequest(worker, ws, claim);
      try {
        await writeBundle(writer, {
          launchDir: claim.launchDir,
          runId: claim.runId,
          attempt: claim.attempt,
          job: claim.job,
          inputs: claim.inputs,
          recovery: claim.recovery,
          heartbeatSeconds: worker.heartbeatSeconds,
          directives: ws.scheduler.renderDirectives(req),
          env: worker.env,
          ...(worker.preRun ? { preRun: worker.preRun } : {}),
          node: worker.node,
          python: worker.python,
          cacheDir,
          copyFrom: claim.recovery?.dirMode === "copy" ? claim.recovery.previousDir : null,
          worker: worker.name,
        });
        written.push({ claim, req });
      } catch (e) {
        // the transport failed (ssh down, disk full on the login side): the job is not at fault —
        // HELD with the reason, `ferry retry` resumes it; nothing was submitted
        if (e instanceof TransportError) {
          const message = `cannot write the bundle on ${transport.host}: ${errorMessage(e)}`;
          await hold(c, claim.runId, message);
          summary.held.push({ jobId: claim.job.id, name: claim.job.name, message });
          broken ??= message;
          continue;
        }
        const message =
          e instanceof ValidationError ? e.message : `cannot write the bundle: ${errorMessage(e)}`;
        const now = Date.now();
        const error = runError("bundle", message);
        await store.transaction((tx) =>
          failClaimed(tx, {
            runId: claim.runId,
            jobId: claim.job.id,
            from: ["RESERVED"],
            error,
            to: "FAILED",
            now,
          }),
        );
        summary.failed.push({ jobId: claim.job.id, name: claim.job.name, message });
      }
    }
    if (writer instanceof BatchingTransport && written.length > 0) {
      try {
        await writer.flush();
      } catch (e) {
        // nothing of this batch may be on the target: none of it is staged (HELD, as above)
        const message = `cannot write the bundles on ${transport.host}: ${errorMessage(e)}`;
        for (const w of written.splice(0)) {
          await hold(c, w.claim.runId, message);
          summary.held.push({ jobId: w.claim.job.id, name: w.claim.job.name, message });
        }
        broken ??= message;
      }
    }
    const now = Date.now();
    const staged = new Set(
      await store.transaction((tx) =>
        stageRuns(
          tx,
          written.map((w) => ({ runId: w.claim.runId, jobId: w.claim.job.id })),
          { now, leaseOwner: owner, leaseExpiresAt: now + leaseMs },
        ),
      ),
    );
    if (worker.batch) {
      const q = await enqueueStaged(
        store,
        transport,
        { workDir: worker.workDir, batch: worker.batch, workerName: worker.name },
        written
          .filter((w) => staged.has(w.claim.runId))
          .map((w) => ({ runId: w.claim.runId, launchDir: w.claim.launchDir, req: w.req })),
      );
      const queued = new Set(q.queued);
      for (const { claim } of written) {
        const brief = { jobId: claim.job.id, name: claim.job.name };
        if (!queued.has(claim.runId)) continue;
        summary.submitted.push({
          ...brief,
          runId: claim.runId,
          schedulerId: null,
          launchDir: claim.launchDir,
        });
        o.events?.emit("offline:submitted", {
          jobId: claim.job.id,
          runId: claim.runId,
          schedulerId: "(batch queue)",
          launchDir: claim.launchDir,
        });
      }
      for (const h of q.held) {
        const w = written.find((x) => x.claim.runId === h.runId)!;
        summary.held.push({ jobId: w.claim.job.id, name: w.claim.job.name, message: h.message });
      }
      continue;
    }
    for (const { claim, req } of written) {
      if (!staged.has(claim.runId)) continue; // taken over, cancelled or rerun meanwhile
      const brief = { jobId: claim.job.id, name: claim.job.name };
      if (broken !== null) {
        await hold(c, claim.runId, broken);
        summary.held.push({ ...brief, message: broken });
        continue;
      }
      // still ours? A batch of slow submissions can outlast the lease, and another host's submit
      // may then have adopted the rest: renewing with a compare-and-set makes the two exclusive
      const renewed = await store.updateRuns(
        [claim.runId],
        { leaseExpiresAt: Date.now() + leaseMs },
        Date.now(),
        { states: ["STAGED"], archived: false, leaseOwner: owner },
      );
      if (renewed === 0) continue;
      const r = await submitStaged(c, claim, req);
      if (r.kind === "submitted") {
        summary.submitted.push({
          ...brief,
          runId: claim.runId,
          schedulerId: r.schedulerId,
          launchDir: claim.launchDir,
        });
        o.events?.emit("offline:submitted", {
          jobId: claim.job.id,
          runId: claim.runId,
          schedulerId: r.schedulerId ?? "?",
          launchDir: claim.launchDir,
        });
      } else if (r.kind === "unknown") summary.unknown.push({ ...brief, message: r.message });
      else {
        summary.held.push({ ...brief, message: r.message });
        if (r.kind === "cannot-start") broken = r.message;
      }
    }
  }
  summary.stoppedBy = broken;
  if (worker.batch) {
    summary.pilots = await providePilots(
      transport,
      queuePaths(worker.workDir),
      { ...worker, batch: worker.batch },
      ws,
    );
    return summary;
  }
  // what reached the queue counts, not the attempts: refused (held) and failed jobs queue nothing
  if (Number.isFinite(room) && summary.submitted.length >= room)
    summary.limitedBy = `maxQueued (${worker.maxQueued}) reached`;
  if (broken !== null) summary.limitedBy = `stopped: ${broken}`;
  return summary;
}
