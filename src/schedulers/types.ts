/**
 * The scheduler contract. Each scheduler (slurm, pbs, sge, lsf, shell) is a pure module: it
 * builds commands and parses their output; the transport runs them. Nothing here touches a
 * process, a file or the database, so every function is tested from recorded real outputs
 * (qtoolkit's golden-file pattern: its tests parse stored sbatch/squeue outputs).
 *
 * No `if (scheduler === "slurm")` outside schedulers/registry.ts.
 */
import type { ResolvedResources, SchedulerName } from "../model/resources.ts";
import type { CommandOutput, CommandSpec } from "../transport/types.ts";

/**
 * A scheduler's view of a job, in words that mean the same on every scheduler. `done` means the
 * scheduler saw the job end without a failure it knows of (the result file in the launch
 * directory, not the queue, decides success). `unknown` means the scheduler cannot say: the
 * job left its queue and accounting has no record, or the native state is not one we know. The
 * per-scheduler mapping tables live in each `<scheduler>/parse.ts` (PBS: `pbs/states.ts`).
 */
export type NeutralState =
  | "queued"
  | "running"
  | "done"
  | "failed"
  | "cancelled"
  | "timeout"
  | "out-of-memory"
  | "unknown";

export interface SchedulerJobStatus {
  /** The scheduler's job id, as returned by parseSubmit. */
  id: string;
  state: NeutralState;
  /**
   * Exit status of the batch script when the scheduler knows it; 128+N when signal N killed it
   * (the reason then names the signal). null when the job never ran or the scheduler does not say.
   */
  exitCode: number | null;
  /** The scheduler's reason or message (e.g. "TimeLimit", "NonZeroExitCode"), if any. */
  reason: string | null;
  /** The scheduler's own state word (e.g. "OUT_OF_MEMORY", "Eqw"). */
  native: string;
  /** The job's name, when the listing shows it (name lookups: Scheduler.parseNameLookup). */
  name?: string;
}

/** Result of parsing a status or accounting listing. Parsers never throw: problems are data. */
export interface StatusListing {
  jobs: Map<string, SchedulerJobStatus>;
  /** Lines or records that could not be understood (reported, not fatal). */
  problems: string[];
  /**
   * Set when the command failed as a whole (daemon down, bad option): a job missing from `jobs`
   * then says nothing about that job, and the poller must not take it for gone. null otherwise —
   * including "no such job" answers, which are trustworthy absences.
   */
  failure: string | null;
}

/** Ask for a signal before the walltime ends, so the wrapper can checkpoint and say why it stopped. */
export interface WalltimeWarning {
  signal: "USR1" | "USR2" | "TERM";
  secondsBefore: number;
}

export interface SubmitRequest {
  /** Absolute path of the batch script on the target (the bundle's run.sh, or a pilot script). */
  scriptPath: string;
  /** Directory the job starts in (the launch directory). */
  workDir: string;
  jobName: string;
  /**
   * Where the scheduler writes the script's own stdout and stderr. In an array job, `{index}`
   * stands for the element index (each scheduler writes its own pattern: %a, $TASK_ID, ...).
   */
  stdoutPath: string;
  stderrPath: string;
  resources: ResolvedResources;
  warning?: WalltimeWarning;
  /** Job array of this many elements (index in the scheduler's array variable), when supported. */
  arraySize?: number;
}

/** What a scheduler accepts as a job name (common/names.ts builds run names within it). */
export interface JobNameLimits {
  maxLength: number;
  startWithLetter: boolean;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /**
   * Job names this scheduler keeps whole. A run's job name ends in its run id
   * (common/names.ts runJobName), so a submission whose outcome is unknown can be found by name
   * before anything is submitted again: the suffix must survive the scheduler's own limits.
   */
  readonly jobNameLimits: JobNameLimits;
  readonly supportsArrays: boolean;
  /**
   * Signals this scheduler can send a chosen number of seconds before the walltime
   * (SubmitRequest.warning). Empty when it cannot (PBS: SIGTERM at the limit, then SIGKILL
   * after kill_delay); renderDirectives refuses a warning it cannot honour.
   */
  readonly warningSignals: readonly WalltimeWarning["signal"][];
  /**
   * How long after a job leaves the live queue its accounting record may still be missing (SGE
   * writes qacct records every flush_time, 15 s by default). The poller waits this long before
   * its single accounting lookup, so a late record is not mistaken for "unknown".
   */
  readonly accountingDelaySeconds: number;
  /**
   * Directive lines for the top of the batch script (after the shebang), e.g. `#SBATCH --nodes=2`.
   * Throws ValidationError (model/errors.ts) naming every resource it cannot express, with a
   * suggestion — never drops one silently.
   */
  renderDirectives(req: SubmitRequest): string[];
  /** The submit command. Directives are in the script, so this is usually just `sbatch script`. */
  submitCommand(req: SubmitRequest): CommandSpec;
  /** The scheduler's job id; throws SchedulerError (with stderr) when the submission failed. */
  parseSubmit(output: CommandOutput): string;
  /** One command that reports every listed job (one call per worker per poll cycle). */
  statusCommand(ids: readonly string[], options?: { user?: string }): CommandSpec;
  parseStatus(output: CommandOutput): StatusListing;
  /**
   * Accounting lookup for jobs that left the live queue (sacct, qacct, bhist…); null when the
   * scheduler has none. Called once per job that disappeared.
   */
  accountingCommand(ids: readonly string[]): CommandSpec | null;
  parseAccounting(output: CommandOutput): StatusListing;
  /**
   * One command that lists the jobs carrying any of these names (queued, running, and — where the
   * scheduler keeps them — recently ended), for every name at once. Names are run names
   * (common/names.ts), so they hold only [A-Za-z0-9_.-].
   */
  nameLookupCommand(names: readonly string[], options?: { user?: string }): CommandSpec;
  /**
   * Its output as a listing whose entries carry `name`. Jobs of other names may be listed too
   * (SGE, PBS and LSF list all of the user's jobs): pick with common/names.ts jobsNamed. A
   * `failure` means absences say nothing — never resubmit on a failed lookup.
   */
  parseNameLookup(output: CommandOutput): StatusListing;
  cancelCommand(ids: readonly string[]): CommandSpec;
  /** Throws SchedulerError when the scheduler refused; a job that is already gone is not an error. */
  parseCancel(output: CommandOutput, ids: readonly string[]): void;
  /**
   * Environment variable names the scheduler sets inside a job: its job id and, for arrays, the
   * array index. The wrapper records the id in its start file.
   */
  readonly jobIdVariable: string;
  readonly arrayIndexVariable: string | null;
  /**
   * Output of a failed command that means "the controller is busy or unreachable, ask again"
   * (slurmctld's "Socket timed out on send/recv operation" under load). A cancel is retried on
   * it (common/retry.ts); a submission never is, since a timed-out sbatch may still have queued
   * the job.
   */
  readonly transientErrors: RegExp | null;
}
