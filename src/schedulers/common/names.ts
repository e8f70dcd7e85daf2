/**
 * Run names: the scheduler job name of a run ends in `-r<run id>-<scope>`, so the run's job can be
 * found in the queue by name. That is what makes submission idempotent: when `sbatch` timed out,
 * or the submitter died between the submission and its record, the run's name is looked up
 * before anything is submitted again (a timed-out sbatch may well have queued the job: slurm's
 * "Socket timed out on send/recv operation" under load, common/retry.ts).
 *
 * `<scope>` is four hex digits of the worker's work folder: two projects of one user number their
 * runs from 1 alike, and without it one project's lookup would adopt the other's job.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../../model/errors.ts";
import type { JobNameLimits, SchedulerJobStatus, StatusListing } from "../types.ts";
import { sanitizeJobName } from "./directives.ts";

export function runNameSuffix(runId: number, scope: string): string {
  return `-r${runId}-${createHash("sha1").update(scope).digest("hex").slice(0, 4)}`;
}

/**
 * `<base>-r<runId>-<scope>`, sanitized and cut to the scheduler's limit — the base is cut, never
 * the suffix. Sanitizing it again (the directive renderers do) changes nothing.
 */
export function runJobName(limits: JobNameLimits, base: string, runId: number, scope: string): string {
  const suffix = runNameSuffix(runId, scope);
  const head = sanitizeJobName(base, { ...limits, maxLength: Math.max(1, limits.maxLength - suffix.length) });
  return `${head}${suffix}`;
}

const RUN_NAME = /^[A-Za-z0-9_.-]+$/;

/** Name lookups take run names only: no comma, blank or quote can reach a scheduler's list syntax. */
export function checkRunNames(names: readonly string[]): void {
  const bad = names.length === 0 ? [""] : names.filter((n) => !RUN_NAME.test(n));
  if (bad.length > 0) {
    throw new ValidationError(
      "not ferry run names:",
      bad.map((n) => ({ field: "name", message: JSON.stringify(n) })),
    );
  }
}

/** The listed jobs carrying each of `names` (several: the name was submitted more than once). */
export function jobsNamed(
  listing: StatusListing,
  names: readonly string[],
): Map<string, SchedulerJobStatus[]> {
  const wanted = new Set(names);
  const out = new Map<string, SchedulerJobStatus[]>();
  for (const job of listing.jobs.values()) {
    if (job.name === undefined || !wanted.has(job.name)) continue;
    out.set(job.name, [...(out.get(job.name) ?? []), job]);
  }
  return out;
}
