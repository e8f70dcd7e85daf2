/**
 * Runs this launcher holds but never started. One way to get them: a claim's COMMIT reached the
 * database but its answer did not (PostgreSQL terminated the backend in between), so the claim
 * was retried and claimed other runs; the first ones are RUNNING under our lease, which we renew
 * at every beat — without this they would wait until this launcher exits. With no wrapper ever
 * started for them (no started.json) they are released to READY: nothing ran, nothing runs twice.
 */
import { readRunFiles } from "../bundle/collect.ts";
import { releaseRun } from "../engine/lifecycle/index.ts";
import type { Run } from "../model/types.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";

export async function releaseUnstarted(
  store: Store,
  transport: Transport,
  mine: readonly Run[],
  busy: (runId: number) => boolean,
): Promise<number[]> {
  const released: number[] = [];
  for (const r of mine) {
    if (r.state !== "RUNNING" || r.archived || r.mode !== "pull" || busy(r.id)) continue;
    if (r.launchDir !== null && (await readRunFiles(transport, r.launchDir, r.id)).started !== null) continue;
    if (busy(r.id)) continue; // started while the files were read
    const done = await store.transaction((tx) =>
      releaseRun(tx, {
        runId: r.id,
        reason: "claimed, but the claim's answer was lost before the run started; released",
        from: ["RUNNING"],
        leaseOwner: r.leaseOwner,
        now: Date.now(),
      }),
    );
    if (done) released.push(r.id);
  }
  return released;
}
