/**
 * `ferry qlaunch` (FireWorks' qlaunch): submit pilot jobs that run `ferry launch` for a pull
 * worker inside batch allocations — for clusters whose compute nodes reach the database.
 *
 *  - plain pilots run rapidfire inside (or `once`): each takes whatever READY work it finds, the
 *    worker's `concurrency` at a time, and stops claiming before its walltime;
 *  - reservation mode (`reserve`): each pilot is submitted for one reserved job, with that job's
 *    own resources (FireWorks' `qlaunch -r`): READY → RESERVED → SUBMITTED, then RUNNING when the
 *    pilot starts.
 *
 * Rapidfire keeps at most `maxQueued` pilots queued or running (counted with one status call per
 * round), submits pilots only for work that waits — not, like FireWorks, whenever one READY job
 * exists (fireworks/queue/queue_launcher.py `rapidfire`: simple mode over-submits) — and never sleeps 5 s after each
 * submission.
 */
import { hostname } from "node:os";
import type { ResolvedProject } from "../config/load.ts";
import { claimRuns, pendingWork } from "../engine/claim.ts";
import { failClaimed } from "../engine/fail-claimed.ts";
import { holdRun, recordSubmission } from "../engine/lifecycle/index.ts";
import { errorMessage, SchedulerError, ValidationError } from "../model/errors.ts";
import { resolveResources } from "../model/resources.ts";
import { runError } from "../model/types.ts";
import { runJobName } from "../schedulers/common/names.ts";
import { createPoller } from "../schedulers/poller.ts";
import { getScheduler } from "../schedulers/registry.ts";
import type { Store } from "../store/store.ts";
import { execLocal } from "../transport/local.ts";
import type { CommandSpec } from "../transport/types.ts";
import {
  knownPilots,
  newPilotDir,
  type PilotRecord,
  pilotRequest,
  type QueueWorker,
  recordPilot,
  renderPilot,
  writePilot,
} from "./pilot.ts";

export interface QlaunchOptions {
  reserve?: boolean;
  /** Pilots run one job each instead of rapidfire inside. */
  once?: boolean;
  maxQueued?: number;
  /** Pilots to submit in total; undefined: until no work is left (rapidfire). */
  nlaunches?: number;
  sleepMs?: number;
  timeoutMs?: number;
  /** Reservation mode: only these jobs. */
  jobIds?: readonly number[];
  stop?: AbortSignal;
  onPilot?: (p: PilotRecord & { dir: string; job?: string }) => void;
}

export interface QlaunchSummary {
  pilots: (PilotRecord & { dir: string })[];
  held: { jobId: number; message: string }[];
  failed: { jobId: number; message: string }[];
  stoppedBecause: string;
}

function context(worker: QueueWorker) {
  const scheduler = getScheduler(worker.queue.scheduler, { pbsFlavor: worker.queue.pbsFlavor });
  const prefix = worker.queue.commandPrefix ?? [];
  const exec = (spec: CommandSpec) => execLocal({ ...spec, argv: [...prefix, ...spec.argv] });
  const poller = createPoller({
    scheduler,
    exec,
    minIntervalMs: worker.queue.statusIntervalSeconds * 1000,
    ...(worker.queue.schedulerUser ? { user: worker.queue.schedulerUser } : {}),
  });
  return { scheduler, exec, poller };
}

type Ctx = ReturnType<typeof context>;

async function submitOne(
  store: Store,
  project: ResolvedProject,
  worker: QueueWorker,
  c: Ctx,
  o: QlaunchOptions,
  s: QlaunchSummary,
): Promise<boolean> {
  let runId: number | null = null;
  let jobId: number | null = null;
  let resources = resolveResources(worker.queue.scheduler, worker.queue.defaultResources);
  let name = `ferry-pilot-${worker.name}`;
  if (o.reserve) {
    const got = await claimRuns(store, {
      worker: { name: worker.name, workDir: worker.workDir, categories: worker.categories },
      limit: 1,
      to: "RESERVED",
      mode: "pull",
      leaseOwner: null,
      leaseMs: null,
      host: hostname(),
      ...(o.jobIds ? { jobIds: o.jobIds } : {}),
    });
    for (const f of got.failed) s.failed.push({ jobId: f.job.id, message: f.message });
    const claim = got.claimed[0];
    if (!claim) return got.failed.length > 0;
    runId = claim.runId;
    jobId = claim.job.id;
    resources = resolveResources(worker.queue.scheduler, worker.queue.defaultResources, claim.job.resources);
    // the run id in the pilot's name: a pilot whose submission was not recorded can be found
    name = runJobName(
      c.scheduler.jobNameLimits,
      resources.jobName ?? `ferry-${claim.job.name}`,
      claim.runId,
      claim.launchDir,
    );
    resources = { ...resources, jobName: name };
  } else if ((await store.countClaimable(worker.name, worker.categories)) === 0) {
    return false;
  }
  const files = newPilotDir(worker);
  const req = pilotRequest(c.scheduler, files, resources, name);
  const hold = async (message: string, to: "HELD" | "FAILED") => {
    if (runId === null || jobId === null)
      throw new SchedulerError(message, { command: "submit", exitCode: null, stderr: message });
    const now = Date.now();
    const error = runError(to === "HELD" ? "submit" : "bundle", message);
    await store.transaction(async (tx) => {
      if (to === "HELD") await holdRun(tx, { runId: runId!, error, now });
      else await failClaimed(tx, { runId: runId!, jobId: jobId!, from: ["RESERVED"], error, to, now });
    });
    (to === "HELD" ? s.held : s.failed).push({ jobId, message });
  };
  let directives: string[];
  try {
    directives = c.scheduler.renderDirectives(req);
  } catch (e) {
    if (!(e instanceof ValidationError) || runId === null) throw e;
    await hold(e.message, "FAILED");
    return true;
  }
  writePilot(files, renderPilot(project, worker, directives, resources, { runId, once: o.once === true }));
  let schedulerId: string;
  try {
    schedulerId = c.scheduler.parseSubmit(await c.exec(c.scheduler.submitCommand(req)));
  } catch (e) {
    // refused, or the submit command cannot be started (qsub missing from cron's PATH)
    const what = e instanceof SchedulerError ? e.message : errorMessage(e);
    if (runId === null && !(e instanceof SchedulerError)) throw e;
    await hold(`the scheduler refused the pilot: ${what}`, "HELD");
    return runId !== null;
  }
  const record: PilotRecord = { schedulerId, submittedAt: Date.now(), worker: worker.name, runId };
  recordPilot(files, record);
  if (runId !== null) {
    await store.transaction((tx) =>
      recordSubmission(tx, {
        runId: runId!,
        schedulerId,
        reason: `pilot submitted as ${schedulerId}`,
        now: Date.now(),
      }),
    );
  }
  s.pilots.push({ ...record, dir: files.dir });
  o.onPilot?.({ ...record, dir: files.dir });
  return true;
}

/** Pilots of this worker still queued or running, by one status call. */
async function activePilots(worker: QueueWorker, c: Ctx): Promise<{ queued: number; running: number }> {
  const ids = knownPilots(worker).map((p) => p.schedulerId);
  if (ids.length === 0) return { queued: 0, running: 0 };
  const polled = await c.poller.poll(ids);
  let queued = 0;
  let running = 0;
  for (const st of polled.jobs.values()) {
    if (st.state === "queued") queued++;
    else if (st.state === "running") running++;
  }
  return { queued, running };
}

export async function qlaunchSingleshot(
  store: Store,
  project: ResolvedProject,
  worker: QueueWorker,
  o: QlaunchOptions = {},
): Promise<QlaunchSummary> {
  const s: QlaunchSummary = { pilots: [], held: [], failed: [], stoppedBecause: "" };
  const submitted = await submitOne(store, project, worker, context(worker), o, s);
  s.stoppedBecause = submitted ? "singleshot" : "no READY job for this worker";
  return s;
}

export async function qlaunchRapidfire(
  store: Store,
  project: ResolvedProject,
  worker: QueueWorker,
  o: QlaunchOptions = {},
): Promise<QlaunchSummary> {
  const c = context(worker);
  const s: QlaunchSummary = { pilots: [], held: [], failed: [], stoppedBecause: "" };
  const maxQueued = o.maxQueued ?? worker.queue.maxQueued ?? 10;
  const deadline = o.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.timeoutMs;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (;;) {
    if (o.stop?.aborted) return { ...s, stoppedBecause: "interrupted" };
    if (Date.now() >= deadline) return { ...s, stoppedBecause: "timeout" };
    if (o.nlaunches !== undefined && s.pilots.length >= o.nlaunches)
      return { ...s, stoppedBecause: `${o.nlaunches} pilots submitted` };
    const active = await activePilots(worker, c);
    const ready = await store.countClaimable(worker.name, worker.categories);
    // waiting work for pilots not yet running: one pilot per `concurrency` READY jobs (reservation: one per job)
    const wanted = o.reserve ? ready : Math.ceil(ready / Math.max(1, worker.concurrency));
    let room = Math.min(maxQueued - active.queued - active.running, wanted - active.queued);
    while (room > 0 && !(o.nlaunches !== undefined && s.pilots.length >= o.nlaunches)) {
      if (!(await submitOne(store, project, worker, c, o, s))) break;
      room--;
    }
    if (o.nlaunches === undefined && ready === 0) {
      const { active: busy } = await pendingWork(store, worker);
      const now = await activePilots(worker, c);
      if (busy === 0 && now.queued + now.running === 0) return { ...s, stoppedBecause: "no work left" };
    }
    await sleep(o.sleepMs ?? 5000);
  }
}
