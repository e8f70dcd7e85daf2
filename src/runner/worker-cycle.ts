/**
 * One cycle of one managed worker, in the order that gets a flow through fastest (jobflow-remote
 * #278: a 2-minute gap between dependent jobs): collect what finished (one status call at most,
 * never below statusIntervalSeconds — the slot is in the database), then claim, stage and submit
 * what that released. These are offline mode's own steps (offline/recover.ts, offline/submit.ts)
 * run over the worker's transport: one protocol, two callers. Each is idempotent: a cycle cut off
 * anywhere (SIGKILL, ssh dropped, database gone) is finished by the next one, by this runner or
 * another.
 */
import type { ResolvedProject } from "../config/load.ts";
import { FerryError, TransportError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";
import { offlineRecover, type RecoverSummary } from "../offline/recover.ts";
import { offlineSubmit, type SubmitSummary } from "../offline/submit.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import type { ManagedWorker } from "./transports.ts";

export interface CycleContext {
  store: Store;
  project: ResolvedProject;
  transport: Transport;
  /** The lease owner written on claimed runs: the runner's id. */
  owner: string;
  /** The runner renews its claims this often (a third of it): another adopts them once it lapses. */
  leaseMs: number;
  events?: FerryEvents;
  /** Called between steps: false when the worker's lease was lost (another runner drives it now). */
  stillOurs: () => Promise<boolean>;
}

export interface CycleFigures {
  probeMs: number;
  recover: RecoverSummary | null;
  submit: SubmitSummary | null;
  /** Something moved: the next cycle comes sooner. */
  progressed: boolean;
}

/** The worker's infrastructure failed (ssh, the scheduler's command): the cycle counts as failed. */
export class WorkerStepError extends Error {
  override name = "WorkerStepError";
  readonly step: string;
  constructor(step: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.step = step;
  }
}

const isDatabase = (e: unknown) => e instanceof FerryError && e.kind === "database";

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isDatabase(e)) throw e;
    throw new WorkerStepError(name, e);
  }
}

export async function runWorkerCycle(c: CycleContext, worker: ManagedWorker): Promise<CycleFigures> {
  const figures: CycleFigures = { probeMs: 0, recover: null, submit: null, progressed: false };
  // one round trip that proves the host answers before any job is touched: an unreachable host
  // then costs nothing but this (no bundle half written, no submission of unknown outcome)
  const t0 = Date.now();
  await step("probe", async () => {
    const out = await c.transport.exec({ argv: ["true"], timeoutMs: 30_000 });
    if (out.exitCode !== 0)
      throw new TransportError(`\`true\` exited ${out.exitCode} on ${c.transport.host}`);
  });
  figures.probeMs = Date.now() - t0;
  figures.recover = await step("collect", () =>
    offlineRecover(c.store, c.project, {
      worker: worker.name,
      modes: ["managed"],
      transport: c.transport,
      ...(c.events ? { events: c.events } : {}),
    }),
  );
  if (!(await c.stillOurs())) return figures;
  figures.submit = await step("submit", () =>
    offlineSubmit(c.store, c.project, worker, {
      transport: c.transport,
      owner: c.owner,
      leaseMs: c.leaseMs,
      // a cycle of this runner cut off earlier (database away) left these: take them up first
      adoptOwn: true,
      batchUploads: true,
      ...(c.events ? { events: c.events } : {}),
    }),
  );
  const r = figures.recover;
  const s = figures.submit;
  figures.progressed =
    r.completed.length + r.failed.length + r.started.length + s.submitted.length + s.adopted.released.length >
    0;
  // bundles that could not be written (ssh dropped mid-upload) were HELD by submit; the worker's
  // infrastructure failed all the same
  if (s.stoppedBy !== null) throw new WorkerStepError("submit", new Error(s.stoppedBy));
  return figures;
}
