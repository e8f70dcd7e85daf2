/**
 * The runner's heartbeat, on a timer of its own so a long cycle (a big upload, a slow sbatch)
 * never lets a lease lapse: every third of the lease period (at most 2 s, so that a stop flag set
 * elsewhere is seen at once) it refreshes the runner's row, the
 * leases of the workers it drives and of the runs it has claimed, and reads the stop flag. A
 * beat that fails (the database is away) is only logged: the leases then expire as they should
 * and the main loop finds out at its next store call.
 */
import { errorMessage } from "../model/errors.ts";
import type { Store } from "../store/store.ts";
import type { RunnerLog } from "./log.ts";

export interface BeatOptions {
  store: Store;
  id: string;
  leaseMs: number;
  /** The workers whose lease this runner holds (read at each beat). */
  held: () => readonly string[];
  log: RunnerLog;
  /** The stop flag was found set, or the row is gone. */
  onStop: (why: "flag" | "lease") => void;
  /** Live runners of the project at the last beat (for sharing workers). */
  onRunners?: (live: number) => void;
}

export function startBeat(o: BeatOptions): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let failing = false;
  const beat = async () => {
    const now = Date.now();
    try {
      const row = await o.store.heartbeatRunner(o.id, now);
      if (!row) {
        // closed by a runner that took this one for dead (a long silence: the database was away).
        // PostgreSQL allows several runners: carry on. SQLite allows one, and that is the other.
        if (o.store.dialect === "sqlite" || !(await o.store.reviveRunner(o.id, now)))
          return o.onStop("lease");
        o.log.warn(
          "lease",
          "this runner's row had been closed by another runner after a silence: opened again",
        );
        return;
      }
      if (row.stopRequested) return o.onStop("flag");
      for (const w of o.held()) await o.store.takeWorkerLease(w, o.id, now, now + o.leaseMs);
      await o.store.renewRunnerClaims(o.id, now + o.leaseMs, now);
      if (o.onRunners) {
        const live = (await o.store.listRunners()).filter(
          (r) => now - r.heartbeatAt <= o.leaseMs && !r.stopRequested,
        );
        o.onRunners(Math.max(1, live.length));
      }
      if (failing) o.log.info("database", "heartbeat recorded again");
      failing = false;
    } catch (e) {
      if (!failing) o.log.warn("database", `cannot record the heartbeat: ${errorMessage(e)}`);
      failing = true;
    }
  };
  const timer = setInterval(
    () => {
      running = running.then(beat);
    },
    Math.max(100, Math.min(2000, Math.floor(o.leaseMs / 3))),
  );
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
