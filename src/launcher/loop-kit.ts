/** The launcher loop's two helpers: a sleep that can be cut short, and retries with backoff. */
import { coerceError } from "../model/errors.ts";
import type { FerryEvents } from "../model/events.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A sleep that a finished job, a stop or an abort cuts short. */
export class Wakeup {
  #resolve: (() => void) | undefined;
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#resolve = done;
    });
  }
  notify(): void {
    this.#resolve?.();
  }
}

/** Retry a database step with backoff: the database may be briefly away (restart, lock). */
export async function withRetry<T>(
  events: FerryEvents,
  fn: () => Promise<T>,
  give: AbortSignal | undefined,
  attempts = Number.POSITIVE_INFINITY,
): Promise<T> {
  let delay = 200;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const error = coerceError(e);
      if (i >= attempts || !(error as { retryable?: boolean }).retryable || give?.aborted) throw error;
      events.emit("launcher:error", { error, retryInMs: delay });
      await sleep(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}
