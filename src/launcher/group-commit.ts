/**
 * Group commit of finished runs: the launcher writes the completions that are waiting (and
 * their children's releases) in one transaction — so at most one commit, one fsync, per batch
 * on PostgreSQL — instead of one transaction per job. A batch is flushed as soon as no other
 * flush is in flight (completions that arrive during a flush wait for the next one, which is
 * how the batch grows under load without a timer delaying a lone completion), or at once when
 * `maxBatch` are waiting.
 *
 * Exactly once: a run's outcome is applied only while the run is active (engine/outcome.ts), and
 * a batch is retried whole when the database fails. A retry after a COMMIT that did succeed but
 * whose answer was lost (the connection dropped) finds the runs already finished: a run finished
 * at exactly this outcome's `finishedAt` (milliseconds) is this launcher's own completion,
 * reported as applied; anything else is a run stopped from elsewhere.
 */
import type { ClaimedRun } from "../engine/claim.ts";
import { releaseInterrupted } from "../engine/interrupt.ts";
import { type Applied, applyOutcomes, type RunOutcome } from "../engine/outcome.ts";
import type { JobState } from "../model/states.ts";
import type { StoreOps } from "../store/store.ts";

export interface Completion {
  claim: ClaimedRun;
  outcome: RunOutcome;
  /** Stopped by this launcher's abort: the run is kept INTERRUPTED, the job goes back to READY. */
  interrupted: boolean;
}

export interface Committed {
  applied: boolean;
  jobState: JobState | null;
  /** Found already applied by an earlier attempt of this same batch (a lost COMMIT answer). */
  replayed: boolean;
}

/** Was this run finished by this very outcome in an earlier attempt whose COMMIT answer was lost? */
async function replayed(tx: StoreOps, c: Completion): Promise<Committed | null> {
  const run = await tx.getRun(c.claim.runId);
  if (!run || run.archived || run.finishedAt !== c.outcome.finishedAt) return null;
  if (c.interrupted)
    return run.state === "INTERRUPTED" ? { applied: true, jobState: "READY", replayed: true } : null;
  const job = await tx.getJob(run.jobId);
  return { applied: true, jobState: job?.state ?? null, replayed: true };
}

/** Apply a batch of completions inside the caller's transaction (retried whole by the caller). */
export async function commitCompletions(
  tx: StoreOps,
  items: readonly Completion[],
  now: number,
): Promise<Committed[]> {
  const out: Committed[] = new Array(items.length);
  const plain: number[] = [];
  for (const [i, c] of items.entries()) {
    if (!c.interrupted) {
      plain.push(i);
      continue;
    }
    const released = await releaseInterrupted(tx, c.claim.runId, c.outcome, now);
    out[i] = released
      ? { applied: true, jobState: "READY", replayed: false }
      : ((await replayed(tx, c)) ?? { applied: false, jobState: null, replayed: false });
  }
  const applied: Applied[] = await applyOutcomes(
    tx,
    plain.map((i) => ({ runId: items[i]!.claim.runId, outcome: items[i]!.outcome })),
    now,
  );
  for (const [k, i] of plain.entries()) {
    const a = applied[k]!;
    out[i] = a.applied
      ? { applied: true, jobState: a.jobState, replayed: false }
      : ((a.stale === "finished" ? await replayed(tx, items[i]!) : null) ?? {
          applied: false,
          jobState: null,
          replayed: false,
        });
  }
  return out;
}

/** Batches items given one at a time; `flush` gets up to `maxBatch` of them and answers each. */
export class GroupCommit<I, R> {
  readonly #flush: (items: I[]) => Promise<R[]>;
  readonly #maxBatch: number;
  #waiting: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  #inFlight = false;
  #scheduled = false;
  /** How many flushes ran, and how many items they carried (for the benchmark and tests). */
  readonly stats = { flushes: 0, items: 0, largest: 0 };

  constructor(flush: (items: I[]) => Promise<R[]>, options: { maxBatch?: number } = {}) {
    this.#flush = flush;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 64);
  }

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#inFlight || this.#scheduled) return;
    this.#scheduled = true;
    // the rest of this turn's completions (processes reaped together) join the batch
    setImmediate(() => {
      this.#scheduled = false;
      void this.#run();
    });
  }

  async #run(): Promise<void> {
    if (this.#inFlight || this.#waiting.length === 0) return;
    this.#inFlight = true;
    const batch = this.#waiting.splice(0, this.#maxBatch);
    this.stats.flushes++;
    this.stats.items += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    try {
      const results = await this.#flush(batch.map((b) => b.item));
      for (const [i, b] of batch.entries()) b.resolve(results[i]!);
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.#inFlight = false;
      if (this.#waiting.length > 0) void this.#run();
    }
  }
}
