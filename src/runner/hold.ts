/**
 * When a worker becomes unreachable, the jobs it had claimed but not yet handed to the scheduler
 * (RESERVED: never submitted) are HELD with the reason instead of failed; `ferry retry` resumes
 * them. Runs already on the cluster (SUBMITTED, RUNNING) run on and are collected when the worker
 * answers again; a STAGED run may have been submitted (an sbatch cut off mid-flight) and is looked
 * up by its name before anything is submitted again (offline/adopt.ts), so it is not held either.
 */
import { holdRun } from "../engine/lifecycle/index.ts";
import type { Store } from "../store/store.ts";

export async function holdClaimed(store: Store, worker: string, message: string): Promise<number[]> {
  const runs = await store.findRuns({ states: ["RESERVED"], workers: [worker], modes: ["managed"] });
  const held: number[] = [];
  for (const run of runs) {
    const done = await store.transaction((tx) =>
      holdRun(tx, {
        runId: run.id,
        error: { message, stack: null, exitCode: null, signal: null, task: null, reason: "submit" },
        now: Date.now(),
      }),
    );
    if (done) held.push(run.jobId);
  }
  return held;
}
