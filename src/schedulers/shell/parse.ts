/** Parsers for the shell scheduler's launcher, ps and kill output. Never throw on garbage. */
import { SchedulerError } from "../../model/errors.ts";
import type { CommandOutput } from "../../transport/types.ts";
import { emptyListing, excerpt, failedListing, unreadable } from "../common/listing.ts";
import type { StatusListing } from "../types.ts";

export function parseShellSubmit(output: CommandOutput): string {
  const pid = /^\s*([1-9]\d*)\s*$/.exec(output.stdout)?.[1];
  if (output.exitCode !== 0 || pid === undefined) {
    throw new SchedulerError(
      `could not start the job: ${excerpt(output.stderr || output.stdout) || `exit ${output.exitCode}`}`,
      {
        command: "sh (ferry shell launcher)",
        exitCode: output.exitCode,
        stderr: output.stderr,
      },
    );
  }
  return pid;
}

/**
 * The job name in a supervisor's command line: `sh -c <SHELL_SUPERVISOR> <name> <script> …`,
 * the supervisor text ending in `2>/dev/null` (ps shows its line breaks as blanks).
 */
function supervisorName(args: string): string | undefined {
  const at = args.lastIndexOf("2>/dev/null ");
  if (at < 0) return undefined;
  return /^(\S+)/.exec(args.slice(at + "2>/dev/null ".length))?.[1];
}

/**
 * `ps -o pid=,sid=,stat=` → neutral state. A live job is running (stopped with T counts as
 * running, like a suspended batch job). A zombie has exited: it is left out, as is a PID whose
 * process is not a session leader — the job ended and the PID was reused by something else.
 * The exit status of a detached process is nobody's to read: the result file decides.
 */
export function parsePs(output: CommandOutput): StatusListing {
  // procps ps exits 1 with no output when none of the PIDs exists: a trustworthy "all gone".
  if (
    output.exitCode !== 0 &&
    !(output.exitCode === 1 && output.stdout.trim() === "" && output.stderr.trim() === "")
  ) {
    return failedListing(`ps exited with ${output.exitCode}: ${excerpt(output.stderr)}`);
  }
  const listing = emptyListing();
  for (const line of output.stdout.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (m === null) {
      listing.problems.push(`ps: cannot read line ${JSON.stringify(excerpt(line, 120))}`);
      continue;
    }
    const [, pid, sid, stat, args] = m as unknown as [string, string, string, string, string | undefined];
    // a reused PID: alive, but not our supervisor (see psCommand)
    if (pid !== sid || /^[ZX]/.test(stat) || (args !== undefined && !args.includes("FERRY_SHELL_JOB_ID")))
      continue;
    const name = args === undefined ? undefined : supervisorName(args);
    listing.jobs.set(pid, {
      id: pid,
      state: "running",
      exitCode: null,
      reason: /^[Tt]/.test(stat) ? "stopped" : null,
      native: stat,
      ...(name ? { name } : {}),
    });
  }
  return unreadable(listing, "ps", output);
}

export function parseKill(output: CommandOutput): void {
  if (output.exitCode === 0) return;
  const serious = output.stderr.split("\n").filter((l) => l.trim() !== "" && !/No such process/.test(l));
  if (serious.length === 0) return;
  throw new SchedulerError(`kill exited with ${output.exitCode}: ${excerpt(serious.join("\n"))}`, {
    command: "kill",
    exitCode: output.exitCode,
    stderr: output.stderr,
  });
}
