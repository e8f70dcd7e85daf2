/**
 * Cancelling batch runs: a run still waiting in ready/ is moved to cancelled/ (a rename, so a
 * pilot either took it before — then it runs — or never will). A run a pilot already took is not
 * stopped: its pilot may run other jobs, and cancelling the allocation would kill them too. It
 * runs to its end; as the run is no longer active, its result is never collected.
 * Returns the runs that were already taken (for the caller to report).
 */
import type { Run } from "../model/types.ts";
import type { Transport } from "../transport/types.ts";
import { entryName, queuePaths } from "./layout.ts";

export async function cancelQueued(
  transport: Transport,
  workDir: string,
  runs: readonly Run[],
): Promise<number[]> {
  const q = queuePaths(workDir);
  const already: number[] = [];
  if (runs.length === 0) return already;
  await transport.mkdir(q.cancelled);
  for (const r of runs) {
    const name = entryName(r.id);
    try {
      await transport.rename(`${q.ready}/${name}`, `${q.cancelled}/${name}`);
    } catch {
      already.push(r.id); // taken by a pilot (or never queued)
    }
  }
  return already;
}
