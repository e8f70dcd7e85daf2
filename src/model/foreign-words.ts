/**
 * The words FireWorks and jobflow-remote users type, and what ferry calls the same thing, so a
 * pasted command or query gets an answer instead of "unknown" (FireWorks' states and `lpad`
 * commands: fireworks/core/firework.py STATE_RANKS, fireworks/scripts/lpad_run.py;
 * jobflow-remote's states: jobflow_remote/jobs/state.py).
 */

const STATES: ReadonlyMap<string, [string, string]> = new Map([
  ["FIZZLED", ["FireWorks", "FAILED"]],
  ["DEFUSED", ["FireWorks", "CANCELLED"]],
  ["REMOTE_ERROR", ["jobflow-remote", "HELD"]],
  ["USER_STOPPED", ["jobflow-remote", "CANCELLED"]],
  ["STOPPED", ["jobflow-remote", "CANCELLED"]],
  ["CHECKED_OUT", ["jobflow-remote", "RESERVED"]],
  ["UPLOADED", ["jobflow-remote", "STAGED"]],
  ["TERMINATED", ["jobflow-remote", "FINISHED"]],
  ["RUN_FINISHED", ["jobflow-remote", "FINISHED"]],
  ["DOWNLOADED", ["jobflow-remote", "FINISHED"]],
  ["BATCH_SUBMITTED", ["jobflow-remote", "SUBMITTED"]],
  ["BATCH_RUNNING", ["jobflow-remote", "RUNNING"]],
]);

/** ferry's name for another tool's job state, if it is one. */
export function foreignState(word: string): { tool: string; ferry: string } | undefined {
  const hit = STATES.get(word.toUpperCase());
  return hit && { tool: hit[0], ferry: hit[1] };
}

/** ` (FireWorks' FIZZLED is ferry's FAILED)`, or "". */
export function foreignStateHint(word: string): string {
  const f = foreignState(word);
  return f
    ? ` (${f.tool}${f.tool.endsWith("s") ? "'" : "'s"} ${word.toUpperCase()} is ferry's ${f.ferry})`
    : "";
}

/** `lpad`/`rlaunch` commands and ferry's. */
export const FOREIGN_COMMANDS: ReadonlyMap<string, string> = new Map([
  ["defuse", "cancel (FireWorks' defuse; `ferry reignite` brings the jobs back)"],
  ["defuse_fws", "cancel (`ferry reignite` brings the jobs back)"],
  ["defuse_wflows", "flows cancel"],
  ["fizzle", "detect-lost --fail, or cancel"],
  ["rerun_fws", "rerun"],
  ["get_fws", "jobs list"],
  ["get_wflows", "flows list"],
  ["get_launchdir", "jobs show (it prints each run's dir)"],
  ["pause_fws", "pause"],
  ["resume_fws", "resume"],
  ["reignite_fws", "reignite"],
  ["reignite_wflows", "flows reignite"],
  ["archive_wflows", "flows archive"],
  ["delete_wflows", "flows delete"],
  ["pause_wflows", "flows pause"],
  ["add_wf", "add"],
  ["rlaunch", "launch"],
  ["singleshot", "launch --once"],
  ["rapidfire", "launch"],
  ["detect_lostruns", "detect-lost"],
  ["recover_offline", "offline recover"],
  ["forget_offline", "offline forget"],
  ["set_priority", "set-priority"],
  ["update_fws", "update --set"],
]);

/**
 * Words typed after a group (`ferry flows defuse`, `ferry jobs rerun`) with another name here;
 * without them commander suggests the nearest spelling, which for `defuse` is `delete`. A
 * top-level command typed after a group (`ferry jobs rerun`) is pointed to by itself.
 */
export const FOREIGN_SUBCOMMANDS: ReadonlyMap<string, string> = new Map([
  ["flows defuse", "flows cancel (FireWorks' defuse_wflows; `ferry flows reignite` brings the flow back)"],
  ["flows rerun", "rerun --flow <id>"],
  ["flows fizzle", "detect-lost --fail, or flows cancel"],
]);

/** FireWorks options with another name here. */
export const FOREIGN_OPTIONS: ReadonlyMap<string, string> = new Map([
  ["-lm", "--runs (FireWorks' launches mode: the query matches each job's current run)"],
  ["--launches_mode", "--runs (the query matches each job's current run)"],
  ["--fw_id", "--id"],
  ["--password", "--yes"],
]);
