/**
 * The polling driver: the status of all of a worker's jobs from ONE status command per cycle,
 * never faster than a minimum interval (sites ban rapid squeue loops: Snakemake-Profiles/slurm
 * #74, a site requiring ≥ 120 s between squeue calls in matlab-parallel-slurm-plugin #11), with ONE accounting lookup per job that left the live queue, cached for
 * good. It only reports what the scheduler says: the result file in the launch directory, not
 * the queue, decides whether a job succeeded (ARCHITECTURE.md, "The job bundle protocol").
 */
import { SchedulerError } from "../model/errors.ts";
import type { CommandOutput, CommandSpec } from "../transport/types.ts";
import { isTerminal } from "./common/listing.ts";
import type { Scheduler, SchedulerJobStatus } from "./types.ts";

export type ExecCommand = (spec: CommandSpec) => Promise<CommandOutput>;

export interface PollerOptions {
  scheduler: Scheduler;
  exec: ExecCommand;
  /** Minimum time between two status commands; a poll sooner returns the cached listing. Default 30 s. */
  minIntervalMs?: number;
  /** Wait after a job leaves the live queue before the accounting lookup. Default: the scheduler's own lag. */
  accountingDelayMs?: number;
  /** Passed to the status command (schedulers that list by user rather than by id, such as SGE). */
  user?: string;
  /** Clock, for tests. */
  now?: () => number;
}

export interface PollResult {
  /** One entry per requested id. */
  jobs: Map<string, SchedulerJobStatus>;
  /** True when the minimum interval had not passed and no command ran. */
  cached: boolean;
  /** When the status command behind this answer ran (ms since the epoch). */
  checkedAt: number;
  /** What the parsers could not read (reported, not fatal). */
  problems: string[];
}

export interface PollerStats {
  statusCalls: number;
  accountingCalls: number;
}

export interface Poller {
  poll(ids: readonly string[]): Promise<PollResult>;
  /** Drop cached answers for jobs the caller no longer tracks (collected runs). */
  forget(ids: readonly string[]): void;
  readonly stats: Readonly<PollerStats>;
}

interface Cycle {
  at: number;
  jobs: Map<string, SchedulerJobStatus>;
  problems: string[];
  error: SchedulerError | null;
}

const DEFAULT_INTERVAL_MS = 30_000;

export function createPoller(options: PollerOptions): Poller {
  const { scheduler, exec } = options;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? DEFAULT_INTERVAL_MS;
  const accountingDelay = options.accountingDelayMs ?? scheduler.accountingDelaySeconds * 1000;
  const final = new Map<string, SchedulerJobStatus>(); // terminal or given up: never asked again
  const goneSince = new Map<string, number>(); // left the live queue, accounting not asked yet
  const stats: PollerStats = { statusCalls: 0, accountingCalls: 0 };
  let last: Cycle | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const unknown = (id: string, reason: string): SchedulerJobStatus => ({
    id,
    state: "unknown",
    exitCode: null,
    reason,
    native: "",
  });

  function fromCache(cycle: Cycle, ids: readonly string[], at: number): PollResult {
    const pending = ids.filter((id) => !final.has(id));
    if (cycle.error !== null && pending.length > 0) throw cycle.error;
    const wait = Math.ceil((minInterval - (at - cycle.at)) / 1000);
    const jobs = new Map<string, SchedulerJobStatus>();
    for (const id of ids) {
      jobs.set(
        id,
        final.get(id) ??
          cycle.jobs.get(id) ??
          unknown(
            id,
            `not in the last status listing; the next ${scheduler.name} status call is allowed in ${wait} s`,
          ),
      );
    }
    return { jobs, cached: true, checkedAt: cycle.at, problems: cycle.problems };
  }

  async function lookUpAccounting(ids: string[], jobs: Map<string, SchedulerJobStatus>, problems: string[]) {
    const command = scheduler.accountingCommand(ids);
    if (command === null) {
      for (const id of ids) {
        final.set(id, unknown(id, `left the live queue and ${scheduler.name} keeps no accounting here`));
      }
      return;
    }
    stats.accountingCalls++;
    const listing = scheduler.parseAccounting(await exec(command));
    problems.push(...listing.problems);
    for (const id of ids) {
      if (listing.failure !== null) {
        // Not an answer: nothing is cached, the lookup is tried again next cycle.
        jobs.set(id, unknown(id, `left the live queue; accounting failed (${listing.failure})`));
        continue;
      }
      const found = listing.jobs.get(id);
      if (found === undefined) {
        final.set(id, unknown(id, "neither the live queue nor accounting knows this job"));
      } else if (isTerminal(found.state)) {
        final.set(id, found);
      } else {
        // sacct can lag behind slurmctld (infra.md §1.4): a job the live queue no longer lists
        // but accounting calls RUNNING is not running — say so rather than guess.
        final.set(id, {
          ...found,
          state: "unknown",
          reason: `accounting says ${found.native} but the live queue no longer lists it`,
        });
      }
      goneSince.delete(id);
    }
  }

  async function runCycle(ids: readonly string[], at: number): Promise<PollResult> {
    const pending = [...new Set(ids)].filter((id) => !final.has(id));
    const jobs = new Map<string, SchedulerJobStatus>();
    const problems: string[] = [];
    if (pending.length > 0) {
      stats.statusCalls++;
      const command = scheduler.statusCommand(
        pending,
        options.user === undefined ? {} : { user: options.user },
      );
      const listing = scheduler.parseStatus(await exec(command));
      problems.push(...listing.problems);
      if (listing.failure !== null) {
        const error = new SchedulerError(`${scheduler.name} status failed: ${listing.failure}`, {
          command: command.argv.join(" "),
          exitCode: null,
          stderr: listing.failure,
        });
        last = { at, jobs, problems, error };
        throw error;
      }
      const vanished: string[] = [];
      for (const id of pending) {
        const status = listing.jobs.get(id);
        if (status !== undefined) {
          goneSince.delete(id);
          if (isTerminal(status.state)) final.set(id, status);
          jobs.set(id, status);
          continue;
        }
        const since = goneSince.get(id) ?? at;
        goneSince.set(id, since);
        if (at - since >= accountingDelay) vanished.push(id);
        else {
          const wait = Math.ceil((accountingDelay - (at - since)) / 1000);
          jobs.set(id, unknown(id, `left the live queue; accounting is asked in ${wait} s`));
        }
      }
      if (vanished.length > 0) await lookUpAccounting(vanished, jobs, problems);
      last = { at, jobs, problems, error: null };
    }
    const result = new Map<string, SchedulerJobStatus>();
    for (const id of ids) {
      result.set(id, final.get(id) ?? jobs.get(id) ?? unknown(id, "not asked"));
    }
    return { jobs: result, cached: false, checkedAt: at, problems };
  }

  async function pollOnce(ids: readonly string[]): Promise<PollResult> {
    const at = now();
    if (last !== null && at - last.at < minInterval) return fromCache(last, ids, at);
    return runCycle(ids, at);
  }

  return {
    stats,
    poll(ids) {
      // One cycle at a time: a concurrent caller waits and then gets the cached listing.
      const run = queue.then(() => pollOnce(ids));
      queue = run.catch(() => undefined);
      return run;
    },
    forget(ids) {
      for (const id of ids) {
        final.delete(id);
        goneSince.delete(id);
      }
    },
  };
}
