/**
 * A submitter killed between writing a run's queue entry and recording it SUBMITTED leaves a
 * STAGED run whose bundle a pilot may run at any moment. Before adopt/reconcile looks such a run
 * up by its job name (a batch run has no scheduler job of its own, so the lookup would find
 * nothing and release it to READY: the old bundle and a new run would both run), its entry is
 * looked for: in ready/, taken/ or done/ → it was handed over, and is recorded SUBMITTED now.
 */
import { recordSubmission } from "../engine/lifecycle/index.ts";
import type { Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import { entryName, queuePaths, runOfEntry } from "./layout.ts";
import { takenBy } from "./recover.ts";

/** The ids of these STAGED runs found in the queue and recorded SUBMITTED. */
export async function adoptQueued(
  store: Store,
  transport: Transport,
  o: { workDir: string; workerName: string; now: number },
  staged: readonly Run[],
): Promise<Set<number>> {
  const out = new Set<number>();
  if (staged.length === 0) return out;
  const q = queuePaths(o.workDir);
  const inQueue = new Set((await takenBy(transport, q)).keys());
  for (const e of (await transport.list(q.ready)) ?? []) {
    const r = runOfEntry(e.name);
    if (r !== null) inQueue.add(r);
  }
  for (const run of staged) {
    if (!inQueue.has(run.id)) continue;
    await store.transaction((tx) =>
      recordSubmission(tx, {
        runId: run.id,
        schedulerId: null,
        problem: null,
        reason: `found in the batch queue of worker ${o.workerName} (${entryName(run.id)}); its submitter stopped before recording it`,
        now: o.now,
      }),
    );
    out.add(run.id);
  }
  return out;
}
