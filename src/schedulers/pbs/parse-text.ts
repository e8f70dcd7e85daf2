/**
 * `qstat -f` text, as TORQUE prints it (Adaptive Computing docs, "Job Exit Status": `Job Id:`
 * then `    key = value` lines, long values continued on lines starting with a tab) and as the
 * slurm-wlm-torque wrapper prints it (a tab before every attribute, no exit_status: recorded in
 * test/fixtures/schedulers/pbs/). Never throws.
 */
import type { CommandOutput } from "../../transport/types.ts";
import { emptyListing, excerpt, failedListing, unreadable } from "../common/listing.ts";
import type { StatusListing } from "../types.ts";
import { seriousStderr } from "./parse.ts";
import type { PbsFlavor } from "./resources.ts";
import { pbsStatus } from "./states.ts";

function attributes(block: string): Map<string, string> {
  const attrs = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split("\n")) {
    const m = /^\s+([A-Za-z_][\w.]*) = (.*)$/.exec(line);
    if (m !== null) {
      last = m[1]!;
      attrs.set(last, m[2]!.trim());
    } else if (last !== undefined && /^\s/.test(line) && line.trim() !== "") {
      attrs.set(last, attrs.get(last)! + line.trim());
    }
  }
  return attrs;
}

export function parseQstatFull(output: CommandOutput, flavor: PbsFlavor): StatusListing {
  const serious = seriousStderr(output.stderr);
  if (output.exitCode !== 0 && serious.length > 0) {
    return failedListing(`qstat exited with ${output.exitCode}: ${excerpt(serious.join("\n"))}`);
  }
  const listing = emptyListing();
  const parts = output.stdout.split(/^Job Id:\s*/m);
  if ((parts[0] ?? "").trim() !== "")
    listing.problems.push(`qstat: unexpected text ${JSON.stringify(excerpt(parts[0]!, 120))}`);
  for (const part of parts.slice(1)) {
    const [idLine = "", ...rest] = part.split("\n");
    const id = idLine.trim();
    const attrs = attributes(rest.join("\n"));
    const jobState = attrs.get("job_state");
    if (!/^\d+(\[\d*\])?(\.[A-Za-z0-9_.-]+)?$/.test(id) || jobState === undefined) {
      listing.problems.push(`qstat: cannot read job entry ${JSON.stringify(excerpt(part, 120))}`);
      continue;
    }
    const exit = attrs.get("exit_status") ?? attrs.get("Exit_status");
    const status = pbsStatus(
      {
        id,
        jobState,
        exitStatus: exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : undefined,
        comment: attrs.get("comment"),
        walltimeUsed: attrs.get("resources_used.walltime"),
        walltimeLimit: attrs.get("Resource_List.walltime"),
        name: attrs.get("Job_Name"),
      },
      flavor,
    );
    if (status.reason?.startsWith("unknown PBS job state"))
      listing.problems.push(`qstat: ${status.reason} for ${id}`);
    listing.jobs.set(id, status);
  }
  if (serious.length > 0) return { ...listing, failure: `qstat: ${excerpt(serious.join("\n"))}` };
  return unreadable(listing, "qstat", output);
}
