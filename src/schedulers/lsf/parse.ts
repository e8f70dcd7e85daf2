/**
 * Parsers for bsub, bjobs -json and bkill output. Never throw on garbage; parseBsub throws
 * SchedulerError by contract when bsub refused the job.
 */
import { SchedulerError } from "../../model/errors.ts";
import type { CommandOutput } from "../../transport/types.ts";
import { fromExitStatus, joinReasons } from "../common/exit-status.ts";
import { addArrayAggregates, emptyListing, excerpt, failedListing } from "../common/listing.ts";
import type { NeutralState, StatusListing } from "../types.ts";

/** "Job <1234> is submitted to queue <normal>." — possibly after "Cannot connect to LSF. Please wait ..." lines. */
export function parseBsub(output: CommandOutput): string {
  const id = /Job <(\d+)> is submitted/.exec(output.stdout)?.[1];
  if (output.exitCode !== 0 || id === undefined) {
    const why = output.exitCode !== 0 ? `bsub exited with ${output.exitCode}` : "bsub printed no job id";
    throw new SchedulerError(`${why}: ${excerpt(output.stderr || output.stdout)}`, {
      command: "bsub",
      exitCode: output.exitCode,
      stderr: output.stderr,
    });
  }
  return id;
}

/**
 * bjobs STAT → neutral state (bjobs(1) "Description"; psij-python lsf.py). A finished job is DONE
 * (exit 0) or EXIT, whose termination reason (lsbatch.h TERM_* codes, shown as EXIT_REASON)
 * tells a time limit, a memory limit or a bkill apart from the script's own failure.
 */
export const LSF_STATES: Readonly<Record<string, NeutralState>> = {
  PEND: "queued",
  PSUSP: "queued",
  PROV: "queued",
  WAIT: "queued",
  RUN: "running",
  USUSP: "running",
  SSUSP: "running",
  DONE: "done",
  EXIT: "failed",
  UNKWN: "unknown",
  ZOMBI: "unknown",
};

const TERM_REASONS: readonly [RegExp, NeutralState][] = [
  [/TERM_(RUNLIMIT|CPULIMIT|DEADLINE)/, "timeout"],
  [/TERM_(MEMLIMIT|SWAP)/, "out-of-memory"],
  [/TERM_(OWNER|ADMIN|FORCE_OWNER|FORCE_ADMIN|REQUEUE_OWNER|REQUEUE_ADMIN)/, "cancelled"],
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const field = (r: Json, name: string) => (typeof r[name] === "string" ? (r[name] as string).trim() : "");

/** Output of `bjobs -a -o "jobid jobindex stat exit_code exit_reason pend_reason" -json ids`. */
export function parseBjobsJson(output: CommandOutput): StatusListing {
  const start = output.stdout.indexOf("{");
  let doc: unknown;
  try {
    doc = start < 0 ? undefined : JSON.parse(output.stdout.slice(start));
  } catch {
    doc = undefined;
  }
  if (!isObject(doc) || !Array.isArray(doc.RECORDS)) {
    return failedListing(
      `bjobs printed no JSON job list (exit ${output.exitCode}): ${excerpt(output.stderr || output.stdout)}`,
    );
  }
  const listing = emptyListing();
  const elements = new Map<string, string>();
  for (const record of doc.RECORDS as unknown[]) {
    if (!isObject(record)) {
      listing.problems.push("bjobs: a record is not an object");
      continue;
    }
    // "Job <123> is not found": a trustworthy absence (LSB_BJOBS_CONSISTENT_EXIT_CODE docs).
    if (record.ERROR !== undefined) continue;
    const job = field(record, "JOBID");
    const index = field(record, "JOBINDEX");
    const stat = field(record, "STAT");
    if (!/^\d+$/.test(job) || stat === "") {
      listing.problems.push(`bjobs: cannot read record ${excerpt(JSON.stringify(record), 160)}`);
      continue;
    }
    const id = /^[1-9]\d*$/.test(index) ? `${job}[${index}]` : job;
    let state = LSF_STATES[stat];
    if (state === undefined) listing.problems.push(`bjobs: unknown state ${JSON.stringify(stat)} for ${id}`);
    state ??= "unknown";
    const exitReason = field(record, "EXIT_REASON");
    if (stat === "EXIT") state = TERM_REASONS.find(([re]) => re.test(exitReason))?.[1] ?? "failed";
    const code = field(record, "EXIT_CODE");
    const exit = /^\d+$/.test(code)
      ? fromExitStatus(Number(code))
      : { exitCode: stat === "DONE" ? 0 : null, signalReason: null };
    listing.jobs.set(id, {
      id,
      state,
      exitCode: stat === "DONE" || stat === "EXIT" ? exit.exitCode : null,
      reason: joinReasons(
        exitReason,
        stat === "PEND" || stat === "PSUSP" ? field(record, "PEND_REASON") : null,
        exit.signalReason,
        stat.endsWith("SUSP") ? "suspended" : null,
        stat === "UNKWN" ? "mbatchd lost contact with the execution host" : null,
      ),
      native: stat,
      ...(field(record, "JOB_NAME") ? { name: field(record, "JOB_NAME") } : {}),
    });
    if (id !== job) elements.set(id, job);
  }
  addArrayAggregates(listing, elements);
  return listing;
}

/** bkill: finished or unknown jobs are not errors. */
export function parseBkill(output: CommandOutput): void {
  if (output.exitCode === 0) return;
  const harmless = /already finished|No matching job found|is being terminated|is not found/;
  const serious = `${output.stdout}\n${output.stderr}`
    .split("\n")
    .filter((l) => l.trim() !== "" && !harmless.test(l));
  if (serious.length === 0) return;
  throw new SchedulerError(`bkill exited with ${output.exitCode}: ${excerpt(serious.join("\n"))}`, {
    command: "bkill",
    exitCode: output.exitCode,
    stderr: output.stderr,
  });
}
