/**
 * Cancelling batch runs: a run still waiting in ready/ is moved to cancelled/ (a rename, so a
 * pilot either took it before or never will). For a run a pilot took already, cancel/<entry> is
 * written: the pilot's watcher sends that job's run.sh TERM within seconds (and a pilot that
 * takes the entry just now skips it). The allocation itself is never cancelled: its pilot runs
 * other jobs too. Returns the runs that were already taken.
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
  if (already.length > 0)
    await transport.writeMany(
      already.map((id) => ({ path: `${q.cancel}/${entryName(id)}`, content: "cancelled by ferry\n" })),
    );
  return already;
}
