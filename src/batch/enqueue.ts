/**
 * Hand staged runs of a batch worker to its folder queue: one writeMany of their entries into
 * ready/, then SUBMITTED in one transaction — with no scheduler id. Why SUBMITTED and not a state
 * of its own: once its entry is in ready/, a pilot may start the run at any moment, exactly as a
 * scheduler may start a queued job, so the steps that follow must be the ones of a submitted run
 * (started.json → RUNNING, result.json → collected). Keeping it STAGED would let adopt/reconcile
 * release it to READY after a fruitless name lookup, and a pilot would then run the old bundle
 * while a new run is made: a job run twice. The scheduler id stays null until a pilot takes the
 * entry: recover then records that pilot's id (recover.ts), so the pilot's end — and only its
 * end — makes a run that left no result FINISHED, then FAILED. A run still in ready/ has no
 * pilot to lose: it waits for the next submit's pilots.
 *
 * Order matters for a submitter killed half-way: the entry is written before the run is
 * recorded SUBMITTED; adopt.ts recognises a STAGED run whose entry exists as handed over.
 */
import { holdRun, recordSubmission } from "../engine/lifecycle/index.ts";
import { parseWalltime } from "../model/resources.ts";
import { type RunError, runError } from "../model/types.ts";
import type { SubmitRequest } from "../schedulers/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { entryContent, entryName, queuePaths } from "./layout.ts";

export interface BatchSettings {
  maxJobs: number;
  maxWallTime: string | number;
  parallel: number;
  lingerSeconds: number;
}

export interface Enqueued {
  queued: number[];
  held: { runId: number; message: string }[];
}

const refusal = (message: string): RunError => runError("submit", message);

export async function enqueueStaged(
  store: Store,
  transport: Transport,
  o: { workDir: string; batch: BatchSettings; workerName: string },
  items: readonly { runId: number; launchDir: string; req: SubmitRequest }[],
): Promise<Enqueued> {
  const q = queuePaths(o.workDir);
  const wall = parseWalltime(o.batch.maxWallTime);
  const out: Enqueued = { queued: [], held: [] };
  const fit: { runId: number; launchDir: string; req: SubmitRequest }[] = [];
  for (const it of items) {
    const need = it.req.resources.walltimeSeconds ?? 0;
    let why: string | null = null;
    if (need > wall)
      why = `its walltime (${need} s) is longer than the batch pilots' maxWallTime (${wall} s) of worker ${o.workerName}: no pilot can run it; lower its walltime or raise batch.maxWallTime, then ferry retry`;
    else if (/[\n\r\0]/.test(it.launchDir))
      why = `its launch directory holds a newline or NUL, which a queue entry cannot carry: ${JSON.stringify(it.launchDir)}`;
    if (why === null) {
      fit.push(it);
      continue;
    }
    const message = why;
    if (
      await store.transaction((tx) =>
        holdRun(tx, { runId: it.runId, error: refusal(message), now: Date.now() }),
      )
    )
      out.held.push({ runId: it.runId, message });
  }
  if (fit.length === 0) return out;
  await transport.writeMany(
    fit.map((it) => ({
      path: `${q.ready}/${entryName(it.runId)}`,
      content: entryContent(it.req.resources.walltimeSeconds ?? 0, it.launchDir),
    })),
  );
  const now = Date.now();
  await store.transaction(async (tx) => {
    for (const it of fit) {
      await recordSubmission(tx, {
        runId: it.runId,
        schedulerId: null,
        problem: null,
        reason: `queued for the batch pilots of worker ${o.workerName} (${entryName(it.runId)})`,
        now,
      });
    }
  });
  out.queued.push(...fit.map((it) => it.runId));
  return out;
}
