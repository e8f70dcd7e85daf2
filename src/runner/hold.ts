/**
 * When a worker becomes unreachable (or needs a login), its jobs are HELD with the reason instead
 * of failed, and `ferry retry` resumes them:
 *  - RESERVED (claimed, never handed to the scheduler): the run ends, the job is HELD; retry
 *    claims it anew (lifecycle holdRun);
 *  - STAGED, SUBMITTED, RUNNING, FINISHED: held in place (lifecycle/hold.ts): the batch job runs
 *    on, nothing advances it while HELD, and retry puts the job back with the same run, which is
 *    then collected (or, if STAGED, looked up by its name in the queue) — never run twice.
 * READY jobs are not touched: they wait for the worker like any READY job.
 */
import { holdInPlace, holdRun } from "../engine/lifecycle/index.ts";
import type { Store } from "../store/store.ts";

export async function holdWorkerJobs(store: Store, worker: string, message: string): Promise<number[]> {
  const now = Date.now();
  const runs = await store.findRuns({
    states: ["RESERVED", "STAGED", "SUBMITTED", "RUNNING", "FINISHED"],
    workers: [worker],
    modes: ["managed"],
  });
  const held: number[] = [];
  for (const run of runs.filter((r) => r.state === "RESERVED")) {
    const done = await store.transaction((tx) =>
      holdRun(tx, {
        runId: run.id,
        error: { message, stack: null, exitCode: null, signal: null, task: null, reason: "submit" },
        now,
      }),
    );
    if (done) held.push(run.jobId);
  }
  const inPlace = runs.filter((r) => r.state !== "RESERVED");
  if (inPlace.length > 0)
    held.push(
      ...(await store.transaction(async (tx) => {
        await tx.updateRuns(
          inPlace.map((r) => r.id),
          { problem: message },
          now,
        );
        return holdInPlace(tx, { jobIds: inPlace.map((r) => r.jobId), reason: message, now });
      })),
    );
  return held;
}
