/**
 * Parsers for qsub -terse, qstat -xml, qacct -j and qdel output. They never throw on garbage
 * (fast-check in parse.test.ts); parseQsub throws SchedulerError by contract when qsub refused.
 */
import { SchedulerError } from "../../model/errors.ts";
import type { CommandOutput } from "../../transport/types.ts";
import { type DecodedExit, fromExitStatus, joinReasons } from "../common/exit-status.ts";
import { addArrayAggregates, emptyListing, excerpt, failedListing } from "../common/listing.ts";
import type { NeutralState, SchedulerJobStatus, StatusListing } from "../types.ts";

/** `qsub -terse` prints `42`, or `42.1-3:1` for an array job. */
export function parseQsubTerse(output: CommandOutput): string {
  const id = output.stdout
    .split("\n")
    .map((l) => /^(\d+)(?:\.\d+-\d+:\d+)?$/.exec(l.trim())?.[1])
    .find((x) => x !== undefined);
  if (output.exitCode !== 0 || id === undefined) {
    const why = output.exitCode !== 0 ? `qsub exited with ${output.exitCode}` : "qsub printed no job id";
    throw new SchedulerError(`${why}: ${excerpt(output.stderr || output.stdout)}`, {
      command: "qsub",
      exitCode: output.exitCode,
      stderr: output.stderr,
    });
  }
  return id;
}

/**
 * qstat state letters → neutral state (qstat(1) "state"). Letters combine: E (error) wins — an
 * Eqw job never runs until `qmod -cj` clears it; r/t/R/s/S/T mean the job started (suspended
 * counts as running); q/w/h mean it waits. d (deletion requested) keeps the job where it is.
 */
export function sgeState(letters: string): NeutralState {
  if (letters.includes("E")) return "failed";
  if (/[rtRsST]/.test(letters)) return "running";
  if (/[qwh]/.test(letters)) return "queued";
  return "unknown";
}

function sgeStateReason(letters: string, id: string): string | null {
  return joinReasons(
    letters.includes("E")
      ? `error state ${letters}: \`qstat -j ${id}\` says why; \`qmod -cj ${id}\` retries it`
      : null,
    letters.includes("h") ? "on hold" : null,
    /[sST]/.test(letters) ? "suspended" : null,
    letters.includes("d") ? "deletion requested" : null,
  );
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e] ?? "");

/** Output of `qstat -xml`: running jobs under <queue_info>, waiting ones under <job_info>. */
export function parseQstatXml(output: CommandOutput): StatusListing {
  if (output.exitCode !== 0)
    return failedListing(`qstat exited with ${output.exitCode}: ${excerpt(output.stderr)}`);
  if (!/<job_info[\s>]/.test(output.stdout)) {
    return failedListing(`qstat printed no XML job list: ${excerpt(output.stdout || output.stderr)}`);
  }
  const listing = emptyListing();
  const elements = new Map<string, string>();
  for (const block of output.stdout.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)) {
    const fields = new Map<string, string>();
    for (const tag of (block[1] ?? "").matchAll(/<(\w+)>([^<]*)<\/\1>/g))
      fields.set(tag[1]!, decode(tag[2]!.trim()));
    const job = fields.get("JB_job_number") ?? "";
    const letters = fields.get("state") ?? "";
    if (!/^\d+$/.test(job) || letters === "") {
      listing.problems.push(`qstat: cannot read job entry ${JSON.stringify(excerpt(block[0], 160))}`);
      continue;
    }
    // Array tasks: one entry per running task (<tasks>2</tasks>), one per pending range (1-3:1).
    const tasks = fields.get("tasks");
    const key = tasks === undefined ? job : `${job}.${tasks}`;
    const state = sgeState(letters);
    if (state === "unknown")
      listing.problems.push(`qstat: unknown state ${JSON.stringify(letters)} for job ${key}`);
    const name = fields.get("JB_name");
    listing.jobs.set(key, {
      id: key,
      state,
      exitCode: null,
      reason: sgeStateReason(letters, job),
      native: letters,
      ...(name ? { name } : {}),
    });
    if (tasks !== undefined) elements.set(key, job);
  }
  addArrayAggregates(listing, elements);
  return listing;
}

function requestedLimits(category: string): Set<string> {
  return new Set([...category.matchAll(/\b(h_rt|h_cpu|h_vmem|s_rt|s_cpu|s_vmem)=/g)].map((m) => m[1]!));
}

/**
 * One qacct record → neutral state. `failed` says how SGE ended the job: 0 the script ended by
 * itself; below 37 the job failed before or while starting (the script's status is meaningless);
 * 37 "qmaster enforced h_rt, h_cpu, or h_vmem limit"; 100 "assumedly after job" with 137 is how
 * a qdel of a running job is recorded (infra.md §2.1 and sge/qacct-final.yaml) — and, byte for
 * byte, how a script killed by SIGKILL from outside SGE is recorded (the same fixture; the
 * accounting file has no "deleted by" field in 8.1.9). Such jobs read as cancelled, and the
 * reason names both possibilities.
 */
export function qacctRecord(record: ReadonlyMap<string, string>): SchedulerJobStatus | string {
  const job = record.get("jobnumber") ?? "";
  const task = record.get("taskid") ?? "undefined";
  const failedText = (record.get("failed") ?? "").trim();
  const failed = Number.parseInt(failedText, 10);
  const status = Number.parseInt(record.get("exit_status") ?? "", 10);
  if (!/^\d+$/.test(job) || Number.isNaN(failed) || Number.isNaN(status)) return "qacct: incomplete record";
  const id = /^\d+$/.test(task) ? `${job}.${task}` : job;
  let state: NeutralState;
  let exit: DecodedExit = fromExitStatus(status);
  const why = failed === 0 ? null : `failed ${failedText.replace(/\s+/g, " ")}`;
  if (failed === 0) {
    state = status === 0 ? "done" : "failed";
  } else if (failed === 37) {
    const limits = requestedLimits(record.get("category") ?? "");
    state = !limits.has("h_rt") && !limits.has("h_cpu") && limits.has("h_vmem") ? "out-of-memory" : "timeout";
  } else if (failed === 100 && (status === 137 || status === 143)) {
    state = "cancelled";
    exit = {
      ...exit,
      signalReason: `${exit.signalReason ?? ""} (qdel, or a limit enforced by execd)`.trim(),
    };
  } else {
    state = "failed";
    if (failed < 37) exit = { exitCode: null, signalReason: null };
  }
  return {
    id,
    state,
    exitCode: exit.exitCode,
    reason: joinReasons(why, exit.signalReason),
    native: `failed ${failed}`,
  };
}

/** Output of the qacct loop: records separated by lines of `=`; unknown ids on stderr. */
export function parseQacct(output: CommandOutput): StatusListing {
  const serious = output.stderr.split("\n").filter((l) => l.trim() !== "" && !/job id \S+ not found/.test(l));
  if (output.exitCode !== 0 || serious.length > 0) {
    return failedListing(
      `qacct failed (exit ${output.exitCode}): ${excerpt(serious.join("\n") || output.stderr)}`,
    );
  }
  const listing = emptyListing();
  const elements = new Map<string, string>();
  for (const block of output.stdout.split(/^=+\s*$/m)) {
    if (block.trim() === "") continue;
    const record = new Map<string, string>();
    for (const line of block.split("\n")) {
      const m = /^(\w+)\s+(.*)$/.exec(line.trim());
      if (m !== null) record.set(m[1]!, m[2]!.trim());
    }
    const status = qacctRecord(record);
    if (typeof status === "string") {
      listing.problems.push(`${status}: ${JSON.stringify(excerpt(block, 160))}`);
      continue;
    }
    // A resubmitted id can have several records; the last one is the latest run.
    listing.jobs.set(status.id, status);
    const [job, task] = status.id.split(".");
    if (task !== undefined) elements.set(status.id, job!);
  }
  addArrayAggregates(listing, elements);
  return listing;
}

/** qdel: "does not exist" for jobs already gone is fine; anything else is a refusal. */
export function parseQdel(output: CommandOutput): void {
  if (output.exitCode === 0) return;
  const text = `${output.stdout}\n${output.stderr}`;
  const serious = text
    .split("\n")
    .filter(
      (l) =>
        l.trim() !== "" && !/does not exist|has registered the job|has deleted job|already deleted/.test(l),
    );
  if (serious.length === 0) return;
  throw new SchedulerError(`qdel exited with ${output.exitCode}: ${excerpt(serious.join("\n"))}`, {
    command: "qdel",
    exitCode: output.exitCode,
    stderr: output.stderr,
  });
}
