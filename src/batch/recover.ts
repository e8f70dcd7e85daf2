/**
 * What `ferry offline recover` (and detect-lost, cancel, adopt) need to know about batch runs.
 *
 * A batch run is SUBMITTED without a scheduler id while its entry waits in ready/ (enqueue.ts).
 * Once a pilot has taken it, the run's scheduler id becomes that pilot's (from the pilot's
 * folder: the name of taken/<entry>@<pilot> or done/<entry>@<pilot> says which pilot), and from
 * then on the existing steps apply unchanged: the pilot's end with no result.json makes the run
 * FINISHED, then FAILED with the scheduler's reason (walltime, cancelled) after the grace period
 * — a vanished run, rerunnable with `ferry rerun`, never put back into ready/ by anyone.
 * A run whose entry is in ready/ has nobody to lose and is left alone.
 */
import type { ResolvedWorker } from "../config/load.ts";
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";
import type { BatchSettings } from "./enqueue.ts";
import { pilotOfEntry, type QueuePaths, queuePaths, runOfEntry } from "./layout.ts";
import { readPilots } from "./pilots.ts";

export function batchOf(worker: ResolvedWorker | undefined): BatchSettings | null {
  if (!worker || worker.mode === "pull") return null;
  return worker.batch ?? null;
}

/** Which pilot took which run: taken/ and done/ entries, run id → pilot token. */
export async function takenBy(transport: Transport, q: QueuePaths): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const dir of [q.taken, q.done]) {
    for (const e of (await transport.list(dir)) ?? []) {
      const run = runOfEntry(e.name);
      const token = pilotOfEntry(e.name);
      if (run !== null && token !== null) out.set(run, token);
    }
  }
  return out;
}

/**
 * These runs (active, no result yet), with the scheduler id of the pilot that took each batch
 * run recorded on it; the problems say which could not be matched. Other runs pass unchanged.
 */
export async function withPilotIds(
  store: Store,
  transport: Transport,
  workers: Readonly<Record<string, ResolvedWorker>>,
  runs: readonly Run[],
  now: number,
): Promise<{ runs: Run[]; problems: { jobId: number; runId: number; problem: string }[] }> {
  const problems: { jobId: number; runId: number; problem: string }[] = [];
  const open = new Map<string, Run[]>();
  for (const r of runs) {
    if (r.schedulerId !== null || !r.worker || batchOf(workers[r.worker]) === null) continue;
    open.set(r.worker, [...(open.get(r.worker) ?? []), r]);
  }
  if (open.size === 0) return { runs: [...runs], problems };
  const assigned = new Map<number, string>();
  for (const [name, list] of open) {
    const q = queuePaths(workers[name]!.workDir);
    const taken = await takenBy(transport, q);
    if (!list.some((r) => taken.has(r.id))) continue;
    const ids = new Map((await readPilots(transport, q)).map((p) => [p.token, p.schedulerId]));
    for (const r of list) {
      const token = taken.get(r.id);
      if (token === undefined) continue; // still in ready/: waits for a pilot
      const id = ids.get(token) ?? null;
      if (id === null) {
        problems.push({
          jobId: r.jobId,
          runId: r.id,
          problem: `taken by pilot ${token}, whose scheduler id was never recorded (its submission's outcome was unknown); its result is collected when it appears`,
        });
        continue;
      }
      const moved = await store.updateRuns([r.id], { schedulerId: id }, now, {
        states: ACTIVE_RUN_STATES,
        archived: false,
      });
      if (moved > 0) assigned.set(r.id, id);
    }
  }
  return {
    runs: runs.map((r) => (assigned.has(r.id) ? { ...r, schedulerId: assigned.get(r.id)! } : r)),
    problems,
  };
}
