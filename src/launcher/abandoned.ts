/**
 * Runs an earlier launcher abandoned: a pull run whose launcher was killed on this host (its pid
 * is gone) or died anywhere (its lease expired). A launcher looks at them when it starts and
 * keeps looking while it waits — a wrapper that survived its launcher is still running, and the
 * job's children wait for it (FireWorks' rlaunch waits forever here; so did ferry, until it kept
 * looking). Each look: a result is collected, a wrapper still alive on this host is watched, and
 * a run with neither is lost (FAILED, run LOST, engine/lifecycle/lost.ts).
 */
import { recordLost } from "../engine/lifecycle/index.ts";
import { collectFinished, detectLost } from "../engine/lost.ts";
import type { FerryEvents } from "../model/events.ts";
import type { JobState } from "../model/states.ts";
import type { Store } from "../store/store.ts";
import type { Transport } from "../transport/types.ts";

export interface AbandonedRun {
  jobId: number;
  runId: number;
  name: string;
  /** What became of it: its result collected (the job's state), or lost without one. */
  found: "completed" | "failed" | "lost";
  /** Why it counted as abandoned (whose lease, which launcher). */
  why: string;
  state: JobState | null;
}

export class AbandonedRuns {
  readonly settled: AbandonedRun[] = [];
  /** Runs whose wrapper is still alive here: looked at again at every check. */
  readonly watching = new Set<number>();
  readonly #store: Store;
  readonly #transport: Transport;
  readonly #events: FerryEvents;

  constructor(store: Store, transport: Transport, events: FerryEvents) {
    this.#store = store;
    this.#transport = transport;
    this.#events = events;
  }

  /** Look once; returns the runs settled by this look. */
  async check(): Promise<AbandonedRun[]> {
    const t = this.#transport;
    const found = await detectLost(this.#store, { transport: t, abandonedHere: true });
    const now: AbandonedRun[] = [];
    this.watching.clear();
    for (const l of found) {
      if (l.verdict === "alive") {
        this.watching.add(l.run.id);
        continue;
      }
      const base = { jobId: l.job.id, runId: l.run.id, name: l.job.name, why: l.why };
      if (l.verdict === "finished") {
        const collected = await collectFinished(this.#store, t, l);
        if (!collected?.applied) continue; // nothing yet, or another launcher got there first
        const found = collected.outcome.state === "COMPLETED" ? "completed" : "failed";
        now.push({ ...base, found, state: collected.jobState });
        continue;
      }
      const applied = await this.#store.transaction((tx) =>
        recordLost(tx, { runId: l.run.id, why: l.why, checkpoint: l.checkpoint, now: Date.now() }),
      );
      if (applied.applied) now.push({ ...base, found: "lost", state: applied.jobState });
    }
    for (const a of now) {
      this.settled.push(a);
      this.#events.emit("run:lost", {
        jobId: a.jobId,
        runId: a.runId,
        reason: `abandoned by an earlier launcher (${a.why}): ${a.found === "lost" ? "lost, no result" : `its result was collected (${a.found})`}`,
      });
    }
    return now;
  }
}
