/**
 * What went wrong with ssh itself, as opposed to the remote command (whose exit code is returned,
 * never thrown). The caller decides from two fields:
 *
 * - `reason`: unreachable (no TCP connection or it timed out), auth (keys, one-time code),
 *   host-key (unknown or changed key: a person must check it), dropped (the connection or the
 *   master died, or a session was refused), timeout (the command did not finish in time).
 * - `outcome`: "not-run" when ssh failed before the remote command could start (safe to run it
 *   again), "unknown" when it may have run (an `sbatch` cut off mid-flight may have submitted:
 *   look the job up by its name before submitting again — never submit twice blindly).
 */
import { TransportError } from "../../model/errors.ts";

export type SshFailureReason = "unreachable" | "auth" | "host-key" | "dropped" | "timeout";
export type SshOutcome = "not-run" | "unknown";

/** A host key that did not match: what a person needs to decide whether to trust it. */
export interface HostKeyProblem {
  problem: "unknown" | "changed";
  /** As known_hosts names it: `host` or `[host]:port`. */
  hostId: string;
  /** `SHA256:...` of the key the server presented, when we could learn it. */
  fingerprint: string | undefined;
  keyType: string | undefined;
  /** The known_hosts file and line that hold the old key (changed keys). */
  offending: string | undefined;
}

export class SshTransportError extends TransportError {
  override name = "SshTransportError";
  readonly reason: SshFailureReason;
  readonly outcome: SshOutcome;
  /** The ssh destination as the caller gave it. */
  readonly host: string;
  readonly hostKey: HostKeyProblem | undefined;
  constructor(
    message: string,
    details: {
      reason: SshFailureReason;
      outcome: SshOutcome;
      host: string;
      hostKey?: HostKeyProblem;
      cause?: unknown;
    },
  ) {
    // A person must act on a key or a login; automatic retries only lock accounts or hide attacks.
    const retryable = details.reason !== "auth" && details.reason !== "host-key";
    super(message, { retryable, ...(details.cause === undefined ? {} : { cause: details.cause }) });
    this.reason = details.reason;
    this.outcome = details.outcome;
    this.host = details.host;
    this.hostKey = details.hostKey;
  }
}
