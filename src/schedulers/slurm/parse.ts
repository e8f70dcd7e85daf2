/**
 * Parsers for sbatch, squeue, sacct and scancel output. They never throw on garbage: a line they
 * cannot read becomes a `problems` entry (property-tested with fast-check in parse.test.ts).
 * parseSbatch is the exception by contract: a refused submission throws SchedulerError.
 */
import { SchedulerError } from "../../model/errors.ts";
import type { CommandOutput } from "../../transport/types.ts";
import { type DecodedExit, joinReasons, killedBy } from "../common/exit-status.ts";
import {
  addArrayAggregates,
  emptyListing,
  excerpt,
  failedListing,
  isTerminal,
  unreadable,
} from "../common/listing.ts";
import type { NeutralState, StatusListing } from "../types.ts";

/**
 * SLURM job state → neutral state (squeue/sacct full names; squeue(1) "JOB STATE CODES").
 * Suspended jobs count as running (they hold their allocation); held jobs are PENDING with a
 * JobHeld* reason. DEADLINE is the job's own --deadline passing: it ran out of time.
 */
export const SLURM_STATES: Readonly<Record<string, NeutralState>> = {
  PENDING: "queued",
  CONFIGURING: "queued",
  REQUEUED: "queued",
  REQUEUE_HOLD: "queued",
  REQUEUE_FED: "queued",
  RESV_DEL_HOLD: "queued",
  RUNNING: "running",
  COMPLETING: "running",
  SIGNALING: "running",
  STAGE_OUT: "running",
  RESIZING: "running",
  SUSPENDED: "running",
  STOPPED: "running",
  COMPLETED: "done",
  FAILED: "failed",
  BOOT_FAIL: "failed",
  NODE_FAIL: "failed",
  PREEMPTED: "failed",
  SPECIAL_EXIT: "failed",
  CANCELLED: "cancelled",
  REVOKED: "cancelled",
  TIMEOUT: "timeout",
  DEADLINE: "timeout",
  OUT_OF_MEMORY: "out-of-memory",
};

const LISTED_ID = /^(\d+)(?:_(\d+|\[[^\]]*\]))?$/;

/** `sbatch --parsable` prints `42` or `42;cluster`. */
export function parseSbatch(output: CommandOutput): string {
  const lines = output.stdout.split("\n").map((l) => l.trim());
  const id = lines.map((l) => /^(\d+)(?:;\S+)?$/.exec(l)?.[1]).find((x) => x !== undefined);
  if (output.exitCode !== 0 || id === undefined) {
    const why = output.exitCode !== 0 ? `sbatch exited with ${output.exitCode}` : "sbatch printed no job id";
    throw new SchedulerError(`${why}: ${excerpt(output.stderr || output.stdout)}`, {
      command: "sbatch",
      exitCode: output.exitCode,
      stderr: output.stderr,
    });
  }
  return id;
}

/**
 * The script's exit status from what SLURM recorded. Slurm marks an out-of-memory end with the
 * pseudo-signal 125 (recorded: squeue exit_code 253, sacct `0:125`), which is not the script's
 * status — the script may well have carried on after the kernel killed a child.
 */
function slurmExit(code: number, signal: number, state: string): DecodedExit {
  if (state === "OUT_OF_MEMORY" && signal === 125) {
    return {
      exitCode: code !== 0 ? code : null,
      signalReason:
        "the cgroup OOM killer ended a process (Slurm records signal 125, not the script's status)",
    };
  }
  if (signal !== 0) return killedBy(signal);
  return { exitCode: code, signalReason: null };
}

function neutral(native: string, problems: string[], where: string): NeutralState {
  const state = SLURM_STATES[native];
  if (state === undefined) problems.push(`${where}: unknown SLURM state ${JSON.stringify(native)}`);
  return state ?? "unknown";
}

/** Output of squeueCommand: `JobArrayID|State|exit_code|BatchHost|Reason|` per line. */
export function parseSqueue(output: CommandOutput): StatusListing {
  if (output.exitCode !== 0) {
    // A single unknown id makes squeue fail with exit 1 (several unknown ids print nothing and
    // exit 0): that is a trustworthy "not here", not a failure. Recorded in squeue-unknown-id.yaml.
    if (/Invalid job id specified/.test(output.stderr)) return emptyListing();
    return failedListing(`squeue exited with ${output.exitCode}: ${excerpt(output.stderr)}`);
  }
  const listing = emptyListing();
  const elements = new Map<string, string>();
  for (const line of output.stdout.split("\n")) {
    if (line.trim() === "") continue;
    const [key = "", native = "", exitRaw = "", batchHost = "", ...rest] = line.split("|");
    const reasonField = rest.join("|").replace(/\|$/, "").trim();
    const id = LISTED_ID.exec(key.trim());
    if (id === null || rest.length === 0) {
      listing.problems.push(`squeue: cannot read line ${JSON.stringify(excerpt(line, 120))}`);
      continue;
    }
    const state = neutral(native.trim(), listing.problems, `squeue ${key}`);
    let exit: DecodedExit = { exitCode: null, signalReason: null };
    const ran = batchHost.trim() !== "" && batchHost.trim().toLowerCase() !== "n/a";
    if (isTerminal(state) && ran && /^\d+$/.test(exitRaw.trim())) {
      // a raw wait(2) status: 768 is `exit 3`, 15 is SIGTERM (recorded in squeue-final.yaml)
      const raw = Number(exitRaw.trim());
      exit = slurmExit((raw >> 8) & 0xff, raw & 0x7f, native.trim());
    }
    const status = {
      id: key.trim(),
      state,
      exitCode: exit.exitCode,
      reason: joinReasons(reasonField, exit.signalReason, ran || !isTerminal(state) ? null : "never started"),
      native: native.trim(),
    };
    listing.jobs.set(status.id, status);
    if (id[2] !== undefined) elements.set(status.id, id[1]!);
  }
  addArrayAggregates(listing, elements);
  return unreadable(listing, "squeue", output);
}

/**
 * Output of squeueNamesCommand: `JobArrayID|Name|State|exit_code|BatchHost|Reason|`. The name
 * column is taken out and the rest read exactly as parseSqueue reads a status line.
 */
export function parseSqueueNames(output: CommandOutput): StatusListing {
  const names = new Map<string, string>();
  const lines = output.stdout.split("\n").map((line) => {
    const fields = line.split("|");
    if (fields.length < 3) return line;
    names.set((fields[0] ?? "").trim(), (fields[1] ?? "").trim());
    return [fields[0], ...fields.slice(2)].join("|");
  });
  const listing = parseSqueue({ ...output, stdout: lines.join("\n") });
  for (const [id, job] of listing.jobs) {
    const name = names.get(id);
    if (name !== undefined && name !== "") listing.jobs.set(id, { ...job, name });
  }
  return listing;
}

/** Output of sacctCommand: `JobID|State|ExitCode|Start|Reason` per job and per step. */
export function parseSacct(output: CommandOutput): StatusListing {
  if (output.exitCode !== 0) {
    return failedListing(`sacct exited with ${output.exitCode}: ${excerpt(output.stderr)}`);
  }
  const listing = emptyListing();
  const rows = new Map<string, { job?: string[]; batch?: string[] }>();
  for (const line of output.stdout.split("\n")) {
    if (line.trim() === "") continue;
    const fields = line.split("|");
    const [jobId = "", step] = (fields[0] ?? "").trim().split(".", 2);
    if (fields.length < 5 || !LISTED_ID.test(jobId)) {
      listing.problems.push(`sacct: cannot read line ${JSON.stringify(excerpt(line, 120))}`);
      continue;
    }
    const entry = rows.get(jobId) ?? {};
    if (step === undefined) entry.job = fields;
    else if (step === "batch") entry.batch = fields;
    rows.set(jobId, entry);
  }
  const elements = new Map<string, string>();
  for (const [jobId, { job, batch }] of rows) {
    if (job === undefined) {
      listing.problems.push(`sacct: steps of ${jobId} but no job line`);
      continue;
    }
    // "CANCELLED by 0": the state word, then who cancelled it (a uid).
    const [native = "", ...by] = (job[1] ?? "").trim().split(/\s+/);
    const state = neutral(native, listing.problems, `sacct ${jobId}`);
    const source = batch ?? job;
    // A batch job that ran has a .batch step. Start is no evidence: a held job cancelled before
    // it ran gets the cancel time as Start (recorded in sacct-final.yaml).
    const ran = batch !== undefined;
    const exitMatch = /^(\d+):(\d+)$/.exec((source[2] ?? "").trim());
    let exit: DecodedExit = { exitCode: null, signalReason: null };
    if (isTerminal(state) && ran && exitMatch !== null) {
      exit = slurmExit(
        Number(exitMatch[1]),
        Number(exitMatch[2]),
        (source[1] ?? "").trim().split(/\s+/)[0] ?? "",
      );
    }
    listing.jobs.set(jobId, {
      id: jobId,
      state,
      exitCode: exit.exitCode,
      reason: joinReasons(
        by.length > 0 ? `${native.toLowerCase()} ${by.join(" ")}` : null,
        job[4]?.trim(),
        exit.signalReason,
        ran || !isTerminal(state) ? null : "never started",
      ),
      native,
    });
    const element = LISTED_ID.exec(jobId);
    if (element?.[2] !== undefined) elements.set(jobId, element[1]!);
  }
  addArrayAggregates(listing, elements);
  return unreadable(listing, "sacct", output);
}

/** scancel is silent for ids that are unknown or already finished; anything else is a refusal. */
export function parseScancel(output: CommandOutput): void {
  if (output.exitCode === 0) return;
  const harmless = /Invalid job id specified|already completing or completed|Job\/step already/;
  const serious = output.stderr.split("\n").filter((l) => l.trim() !== "" && !harmless.test(l));
  if (serious.length === 0 && output.stderr.trim() !== "") return;
  throw new SchedulerError(`scancel exited with ${output.exitCode}: ${excerpt(output.stderr)}`, {
    command: "scancel",
    exitCode: output.exitCode,
    stderr: output.stderr,
  });
}
