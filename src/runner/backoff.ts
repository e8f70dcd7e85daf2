/**
 * A worker's circuit breaker, as pure functions: how long to wait after a failed cycle, and what
 * state the worker is in. Exponential backoff from `baseMs`, capped at `maxMs`; after
 * `maxFailures` failures in a row the worker is unreachable — or needs-login when ssh asked a
 * question (a one-time code) that nobody was there to answer, or refused the login. A host key
 * that does not match needs a person at once: retrying only hides an attack.
 */
import { errorMessage } from "../model/errors.ts";
import type { WorkerRunState } from "../store/store.ts";
import { SshTransportError } from "../transport/ssh/index.ts";

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxFailures: number;
}

export function backoffDelay(failures: number, p: BackoffPolicy): number {
  if (failures <= 0) return 0;
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.min(failures - 1, 30));
}

export interface FailureVerdict {
  state: WorkerRunState;
  /** What to tell the user (with what to do for needs-login and host keys). */
  message: string;
}

export function judgeFailure(error: unknown, failures: number, p: BackoffPolicy): FailureVerdict {
  const message = errorMessage(error);
  if (error instanceof SshTransportError) {
    if (error.reason === "auth")
      return {
        state: "needs-login",
        message: `${message} — a runner without a terminal cannot answer a login prompt: run \`ferry runner start --foreground\` in a terminal once (or \`ferry runner start\`, which logs in before it detaches)`,
      };
    if (error.reason === "host-key") return { state: "unreachable", message };
  }
  return { state: failures >= p.maxFailures ? "unreachable" : "backoff", message };
}
