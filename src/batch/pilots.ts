/**
 * Pilot allocations of a batch worker: which are alive (one status call for all of them), and
 * submitting new ones — ceil(ready entries / maxJobs) minus the live ones, never more than
 * maxQueued alive at once. Pilots are known by their folders in _queue/pilots/ (layout.ts): the
 * folder and its script are written before the submission, pilot.json with the scheduler id once
 * the scheduler accepted it; `ended` by the pilot as it exits, or by submit once the scheduler no
 * longer lists it (a pilot killed at its walltime writes nothing), so an ended pilot is never
 * asked about again: a submit asks the scheduler once (one status call for every pilot) only
 * while some pilot may still be alive.
 *
 * A pilot whose submission outcome is unknown (sbatch timed out) has no pilot.json: if it was
 * queued after all it works on the queue like any other, but it is not counted against maxQueued
 * and a run it takes is found through started.json's scheduler id instead (recover.ts).
 */
import type { SchedulerAccess } from "../engine/lifecycle/index.ts";
import { errorMessage, SchedulerError } from "../model/errors.ts";
import {
  type ResolvedResources,
  type Resources,
  resolveResources,
  type SchedulerName,
} from "../model/resources.ts";
import { sanitizeJobName } from "../schedulers/common/directives.ts";
import type { Poller } from "../schedulers/poller.ts";
import type { SubmitRequest } from "../schedulers/types.ts";
import type { Transport } from "../transport/types.ts";
import type { BatchSettings } from "./enqueue.ts";
import { newPilotToken, PILOT_TOKEN, type QueuePaths } from "./layout.ts";
import { renderPilotScript } from "./pilot-script.ts";

/** A worker's scheduler access with its poller (offline/worker-exec.ts builds one). */
export type WorkerScheduler = SchedulerAccess & { poller: Poller };

export interface PilotRecord {
  token: string;
  /** null: its submission was not recorded (see above). */
  schedulerId: string | null;
  ended: boolean;
}

export interface PilotWorker {
  name: string;
  scheduler: SchedulerName;
  defaultResources?: Resources | undefined;
  maxQueued?: number | undefined;
  batch: BatchSettings;
}

export interface PilotsSummary {
  /** Entries waiting in ready/ when the pilots were counted. */
  ready: number;
  /** Pilots queued or running before this call submitted any. */
  live: number;
  submitted: { token: string; schedulerId: string }[];
  problems: string[];
}

const MAX_RECORD = 4096;

export async function readPilots(transport: Transport, q: QueuePaths): Promise<PilotRecord[]> {
  const dirs = (await transport.list(q.pilots)) ?? [];
  const tokens = dirs.filter((d) => d.isDirectory && PILOT_TOKEN.test(d.name)).map((d) => d.name);
  if (tokens.length === 0) return [];
  const files = await transport.readMany(
    tokens.flatMap((t) => [q.pilot(t).record, q.pilot(t).ended]),
    { maxBytes: MAX_RECORD, within: q.pilots },
  );
  return tokens.map((token) => {
    const p = q.pilot(token);
    const rec = files.get(p.record);
    let schedulerId: string | null = null;
    if (typeof rec === "string") {
      try {
        const id = (JSON.parse(rec) as { schedulerId?: unknown }).schedulerId;
        if (typeof id === "string" && id !== "") schedulerId = id;
      } catch {
        // written atomically by ferry: unreadable means tampered with; the pilot counts as unknown
      }
    }
    return { token, schedulerId, ended: typeof files.get(p.ended) === "string" };
  });
}

/** The live pilots (queued or running): one status call; the ended ones are marked so. */
async function livePilots(
  transport: Transport,
  q: QueuePaths,
  ws: WorkerScheduler,
  pilots: readonly PilotRecord[],
  problems: string[],
): Promise<number> {
  const open = pilots.filter((p) => !p.ended && p.schedulerId !== null);
  if (open.length === 0) return 0;
  let polled: Awaited<ReturnType<WorkerScheduler["poller"]["poll"]>>;
  try {
    polled = await ws.poller.poll(open.map((p) => p.schedulerId!));
  } catch (e) {
    // not known either way: all counted as live, so maxQueued is never exceeded
    problems.push(`cannot ask the scheduler about the pilots: ${errorMessage(e)}`);
    return open.length;
  }
  problems.push(...polled.problems);
  let live = 0;
  for (const p of open) {
    const s = polled.jobs.get(p.schedulerId!);
    if (!s || s.state === "queued" || s.state === "running") {
      live++;
      continue;
    }
    // any other answer (done, cancelled, timeout, unknown) means it left the live queue
    await transport.writeAtomic(q.pilot(p.token).ended, `${s.native || s.state}\n`);
  }
  return live;
}

async function countReady(transport: Transport, q: QueuePaths): Promise<number> {
  const entries = (await transport.list(q.ready)) ?? [];
  return entries.filter((e) => !e.isDirectory && /^r\d{12}$/.test(e.name)).length;
}

export function pilotResources(worker: PilotWorker): ResolvedResources {
  return resolveResources(worker.scheduler, worker.defaultResources, { walltime: worker.batch.maxWallTime });
}

/** Count live pilots and submit as many as the ready entries need (up to maxQueued). */
export async function providePilots(
  transport: Transport,
  q: QueuePaths,
  worker: PilotWorker,
  ws: WorkerScheduler,
): Promise<PilotsSummary> {
  const problems: string[] = [];
  const ready = await countReady(transport, q);
  const live = await livePilots(transport, q, ws, await readPilots(transport, q), problems);
  const needed = Math.ceil(ready / worker.batch.maxJobs);
  const room = (worker.maxQueued ?? Number.POSITIVE_INFINITY) - live;
  const count = Math.max(0, Math.min(needed - live, room));
  const out: PilotsSummary = { ready, live, submitted: [], problems };
  for (let i = 0; i < count; i++) {
    const r = await submitPilot(transport, q, worker, ws);
    if (typeof r === "string") {
      problems.push(r);
      break; // the next one would fail alike; the next submit tries again
    }
    out.submitted.push(r);
  }
  return out;
}

async function submitPilot(
  transport: Transport,
  q: QueuePaths,
  worker: PilotWorker,
  ws: WorkerScheduler,
): Promise<{ token: string; schedulerId: string } | string> {
  const token = newPilotToken();
  const p = q.pilot(token);
  const { scheduler } = ws;
  const jobName = `${sanitizeJobName(`ferry-pilot-${worker.name}`, {
    ...scheduler.jobNameLimits,
    maxLength: Math.max(1, scheduler.jobNameLimits.maxLength - token.length - 1),
  })}-${token}`;
  const resources = { ...pilotResources(worker), jobName };
  const req: SubmitRequest = {
    scriptPath: p.script,
    workDir: p.dir,
    jobName,
    stdoutPath: p.stdout,
    stderrPath: p.stderr,
    resources,
  };
  // the worker's preRun is not the pilot's: each job's run.sh runs it for that job
  const script = renderPilotScript({
    queue: q,
    token,
    worker: worker.name,
    directives: scheduler.renderDirectives(req),
    maxJobs: worker.batch.maxJobs,
    wallSeconds: resources.walltimeSeconds!,
    parallel: worker.batch.parallel,
    lingerSeconds: worker.batch.lingerSeconds,
  });
  await transport.writeMany([{ path: p.script, content: script, mode: 0o755 }]);
  await transport.mkdir(p.claims);
  let schedulerId: string;
  try {
    const outp = await ws.exec(scheduler.submitCommand(req));
    if (outp.exitCode !== 0) {
      const said = (outp.stderr || outp.stdout).trim().slice(0, 500) || `exit ${outp.exitCode}`;
      return `the scheduler refused pilot ${token}: ${said}`;
    }
    schedulerId = scheduler.parseSubmit(outp);
  } catch (e) {
    return `pilot ${token}: its submission's outcome is unknown (${e instanceof SchedulerError ? e.message : errorMessage(e)}); if it was queued it runs jobs all the same`;
  }
  await transport.writeAtomic(
    p.record,
    `${JSON.stringify({ schedulerId, submittedAt: Date.now(), worker: worker.name })}\n`,
  );
  return { token, schedulerId };
}
