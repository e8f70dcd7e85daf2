/**
 * `ferry offline forget`: stop recovering the chosen jobs' offline runs. Their jobs stay as they
 * are until rerun or cancelled (FireWorks' forget_offline). Rerunning or cancelling an offline
 * job already leaves its old run behind by itself: recover only reads active, unarchived runs.
 */
import { ACTIVE_RUN_STATES } from "../model/states.ts";
import type { Store } from "../store/store.ts";

export async function forgetRuns(store: Store, jobIds: readonly number[]): Promise<{ runIds: number[] }> {
  const runs = (await store.currentRuns(jobIds)).values();
  const ids = [...runs]
    .filter(
      (r) => r.mode !== "pull" && (ACTIVE_RUN_STATES as readonly string[]).includes(r.state) && !r.forgotten,
    )
    .map((r) => r.id);
  if (ids.length > 0) await store.transaction((tx) => tx.updateRuns(ids, { forgotten: true }, Date.now()));
  return { runIds: ids };
}
