/**
 * Typed `noun:verb` events for everything a driver does (graphile-worker's WorkerEventMap).
 * Logs, progress bars and the dashboard subscribe to them. Emitting never throws: a listener
 * that throws is reported through `listener:error` and otherwise ignored.
 */
import type { JobState } from "./states.ts";

export interface FerryEventMap {
  "flow:added": { flowId: number; name: string; jobIds: number[] };
  "job:claimed": { jobId: number; runId: number; name: string; worker: string | null };
  "job:state": { jobId: number; from: JobState | null; to: JobState; runId: number | null };
  "run:started": { jobId: number; runId: number; name: string; launchDir: string };
  "run:finished": {
    jobId: number;
    runId: number;
    name: string;
    state: "COMPLETED" | "FAILED" | "INTERRUPTED";
    seconds: number;
    error?: string;
  };
  "run:collected": { jobId: number; runId: number; state: JobState; stale: boolean };
  "run:lost": { jobId: number; runId: number; reason: string };
  "launcher:start": { owner: string; concurrency: number; worker: string | null };
  "launcher:idle": { running: number; waiting: number };
  "launcher:stopping": { reason: string; running: number };
  "launcher:stop": { completed: number; failed: number; interrupted: number };
  "launcher:error": { error: Error; retryInMs: number };
  "offline:submitted": { jobId: number; runId: number; schedulerId: string; launchDir: string };
  "offline:recovered": { jobId: number; runId: number; state: JobState };
  "offline:problem": { jobId: number; runId: number; problem: string };
  "listener:error": { event: string; error: Error };
}

export type FerryEventName = keyof FerryEventMap;
export type FerryListener<E extends FerryEventName> = (payload: FerryEventMap[E]) => void;

export class FerryEvents {
  readonly #listeners = new Map<FerryEventName, Set<(payload: never) => void>>();

  on<E extends FerryEventName>(event: E, listener: FerryListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<E extends FerryEventName>(event: E, payload: FerryEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as FerryListener<E>)(payload);
      } catch (error) {
        if (event !== "listener:error") {
          this.emit("listener:error", {
            event,
            error: error instanceof Error ? error : new Error(String(error)),
          });
        }
      }
    }
  }
}
