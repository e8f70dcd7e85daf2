/**
 * Retrying an idempotent scheduler command (cancel) when the controller was busy or
 * unreachable. A loaded slurmctld answers "Socket timed out on send/recv operation"; qmaster
 * restarts leave "unable to contact qmaster" for a few seconds. Asking again a moment later is
 * what a user would do by hand. Submissions are never retried: a timed-out submission may still
 * have queued the job, and a second one would run it twice. Status calls are not retried here
 * either: the poller asks again at its next cycle, never sooner than the site's minimum interval.
 */
import type { CommandOutput, CommandSpec } from "../../transport/types.ts";
import type { ExecCommand } from "../poller.ts";
import type { Scheduler } from "../types.ts";

export interface RetryOptions {
  /** Waits before the 2nd, 3rd… attempt, in ms. Default 1 s, 3 s, 9 s (four attempts). */
  delaysMs?: readonly number[];
  /**
   * No further attempt once this much time has gone by since the first one began. Default 90 s:
   * a controller that lets each call hang to its 60 s timeout gets one more try, not three.
   */
  budgetMs?: number;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const DEFAULT_DELAYS_MS = [1_000, 3_000, 9_000];
const DEFAULT_BUDGET_MS = 90_000;

/** Whether a failed command's output says "try again" rather than "no". */
export function isTransient(scheduler: Scheduler, output: CommandOutput): boolean {
  if (output.exitCode === 0) return false;
  // Killed by its own time limit: the controller did not answer in time.
  if (output.exitCode === null) return true;
  const pattern = scheduler.transientErrors;
  return pattern?.test(`${output.stderr}\n${output.stdout}`) === true;
}

/**
 * Run an idempotent command, again after each transient failure, up to the delays given and
 * within the time budget. The last output is returned as it is (the caller's parser turns a
 * failure into its error), with the number of attempts made.
 */
export async function execIdempotent(
  exec: ExecCommand,
  scheduler: Scheduler,
  spec: CommandSpec,
  options: RetryOptions = {},
): Promise<CommandOutput & { attempts: number }> {
  const delays = options.delaysMs ?? DEFAULT_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  let attempts = 1;
  let output = await exec(spec);
  for (const delay of delays) {
    if (!isTransient(scheduler, output) || now() + delay >= deadline) break;
    await sleep(delay);
    attempts++;
    output = await exec(spec);
  }
  return { ...output, attempts };
}
