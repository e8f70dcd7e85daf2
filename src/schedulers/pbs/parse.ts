/**
 * Parsers for qsub, qstat -f -F json (PBS Pro) and qdel. Never throw on garbage; parseQsub
 * throws SchedulerError by contract when qsub refused the job.
 */
import { SchedulerError } from "../../model/errors.ts";
import type { CommandOutput } from "../../transport/types.ts";
import { emptyListing, excerpt, failedListing, unreadable } from "../common/listing.ts";
import type { StatusListing } from "../types.ts";
import type { PbsFlavor } from "./resources.ts";
import { type PbsRecord, pbsStatus } from "./states.ts";

/** qsub prints the job id: `123.server`, `123[].server` for an array, `5` from the slurm wrappers. */
export function parseQsub(output: CommandOutput): string {
  const lines = output.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const id = lines.at(-1);
  if (output.exitCode !== 0 || id === undefined || !/^\d+(\[\d*\])?(\.[A-Za-z0-9_.-]+)?$/.test(id)) {
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
 * stderr lines about single jobs that are simply not (or no longer) there: PBS Pro
 * "qstat: Unknown Job Id 12.srv" / "qstat: 12.srv Job has finished, use -x or -H ...",
 * TORQUE "qstat: Unknown Job Id Error 12.host". Any other line means the listing is not to be
 * trusted.
 */
export const PBS_ABSENT = /Unknown Job Id|Job has finished|has finished, use -x/;

export function seriousStderr(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !PBS_ABSENT.test(l));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
const num = (v: unknown) => {
  const n =
    typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
};

function recordFromJson(id: string, job: Json): PbsRecord {
  const used = isObject(job.resources_used) ? job.resources_used : {};
  const limits = isObject(job.Resource_List) ? job.Resource_List : {};
  return {
    id,
    jobState: str(job.job_state) ?? "",
    exitStatus: num(job.Exit_status),
    comment: str(job.comment),
    walltimeUsed: str(used.walltime),
    walltimeLimit: str(limits.walltime),
    name: str(job.Job_Name),
  };
}

/**
 * PBS Pro's JSON is not always valid: unescaped quotes and backslashes from environment
 * variables (openpbs #2541, PR #2049, PR #830), digit strings such as `"foo":005` printed as
 * numbers (openpbs #1255). When JSON.parse fails, the few fields we need are read per job with
 * patterns, and a problem says so.
 */
function recordsFromBrokenJson(text: string): PbsRecord[] {
  const starts = [...text.matchAll(/"(\d+(?:\[\d*\])?(?:\.[A-Za-z0-9_.-]+)?)"\s*:\s*\{\s*"Job_Name"/g)];
  return starts.map((m, i) => {
    const block = text.slice(m.index, starts[i + 1]?.index ?? text.length);
    const field = (name: string) => new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(block)?.[1];
    const exit = /"Exit_status"\s*:\s*(-?\d+)/.exec(block)?.[1];
    const used = /"resources_used"\s*:\s*\{[^}]*?"walltime"\s*:\s*"([\d:]+)"/.exec(block)?.[1];
    const limit = /"Resource_List"\s*:\s*\{[^}]*?"walltime"\s*:\s*"([\d:]+)"/.exec(block)?.[1];
    return {
      id: m[1]!,
      jobState: field("job_state") ?? "",
      exitStatus: exit === undefined ? undefined : Number(exit),
      comment: field("comment"),
      walltimeUsed: used,
      walltimeLimit: limit,
      name: field("Job_Name"),
    };
  });
}

/** Output of `qstat [-x] -f -F json ids` (PBS Pro 14.1+; format: PBS Pro design doc PP-483). */
export function parseQstatJson(output: CommandOutput, flavor: PbsFlavor = "pbspro"): StatusListing {
  const serious = seriousStderr(output.stderr);
  const start = output.stdout.indexOf("{");
  if (start < 0) {
    if (serious.length > 0 || (output.exitCode !== 0 && output.stderr.trim() === "")) {
      return failedListing(
        `qstat exited with ${output.exitCode}: ${excerpt(serious.join("\n") || output.stdout)}`,
      );
    }
    // only "Unknown Job Id" lines: none of the jobs is there
    return output.stdout.trim() === ""
      ? emptyListing()
      : failedListing(`qstat printed no JSON: ${excerpt(output.stdout)}`);
  }
  const listing = emptyListing();
  const text = output.stdout.slice(start);
  let records: PbsRecord[];
  try {
    const doc: unknown = JSON.parse(text);
    const jobs = isObject(doc) && isObject(doc.Jobs) ? doc.Jobs : {};
    if (!isObject(doc) || (doc.Jobs !== undefined && !isObject(doc.Jobs)))
      listing.problems.push("qstat JSON has no Jobs object");
    records = Object.entries(jobs).flatMap(([id, job]) => {
      if (isObject(job)) return [recordFromJson(id, job)];
      listing.problems.push(`qstat JSON: job ${id} is not an object`);
      return [];
    });
  } catch (e) {
    records = recordsFromBrokenJson(text);
    listing.problems.push(
      `qstat printed invalid JSON (${(e as Error).message}); read ${records.length} jobs field by field`,
    );
  }
  for (const record of records) {
    const status = pbsStatus(record, flavor);
    if (status.state === "unknown" && status.reason?.startsWith("unknown PBS job state")) {
      listing.problems.push(`qstat: ${status.reason} for ${record.id}`);
    }
    listing.jobs.set(record.id, status);
  }
  if (serious.length > 0) {
    return { ...listing, failure: `qstat exited with ${output.exitCode}: ${excerpt(serious.join("\n"))}` };
  }
  return unreadable(listing, "qstat", output);
}

/**
 * qdel: jobs already finished or unknown are not errors (PBS Pro exit 35/153, TORQUE 153/170).
 * A silent non-zero exit is what the slurm-wlm-torque qdel does for an unknown id (recorded in
 * wrapper-qdel-unknown.yaml); real PBS servers always say why they refuse, so silence is taken
 * as "nothing to cancel".
 */
export function parseQdel(output: CommandOutput): void {
  if (output.exitCode === 0) return;
  const harmless = /Unknown Job Id|Job has finished|has finished|Invalid state for job|COMPLETE|not found/i;
  const serious = `${output.stdout}\n${output.stderr}`
    .split("\n")
    .filter((l) => l.trim() !== "" && !harmless.test(l));
  if (serious.length === 0) return;
  throw new SchedulerError(
    `qdel exited with ${output.exitCode}: ${excerpt(serious.join("\n") || output.stderr)}`,
    {
      command: "qdel",
      exitCode: output.exitCode,
      stderr: output.stderr,
    },
  );
}
