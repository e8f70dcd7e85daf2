/**
 * Grid Engine commands:
 * - submit: `qsub -terse` prints the bare id (`5.1-3:1` for an array);
 * - status: `qstat -xml` — it cannot filter by job id in list mode, so it lists the user's jobs
 *   (qstat's default is the calling user; `-u` for another) and the poller picks its ids;
 * - accounting: `qacct -j` takes one job per call, so one `sh` runs it for each id. The ids are
 *   positional parameters of a fixed script, never pasted into the shell text;
 * - cancel: `qdel`;
 * - name lookup: the same `qstat -xml`, whose entries carry JB_name (a finished job is gone from it
 *   at once: the launch directory's started.json tells that it ran).
 * Every command needs SGE_ROOT in its environment (a login shell on an SGE site has it).
 */
import { ValidationError } from "../../model/errors.ts";
import type { CommandSpec } from "../../transport/types.ts";
import { checkRunNames } from "../common/names.ts";
import type { SubmitRequest } from "../types.ts";

const JOB_ID = /^\d+(\.\d+)?$/;

function checkSgeIds(ids: readonly string[]): void {
  const bad = ids.filter((id) => !JOB_ID.test(id));
  if (bad.length > 0) {
    throw new ValidationError(
      "not Grid Engine job ids:",
      bad.map((id) => ({ field: "id", message: JSON.stringify(id) })),
    );
  }
}

export function sgeSubmitCommand(req: SubmitRequest): CommandSpec {
  return { argv: ["qsub", "-terse", req.scriptPath], cwd: req.workDir };
}

export function qstatCommand(_ids: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkSgeIds(_ids);
  return { argv: options.user === undefined ? ["qstat", "-xml"] : ["qstat", "-xml", "-u", options.user] };
}

export function qstatNamesCommand(names: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkRunNames(names);
  return qstatCommand([], options);
}

/** A task id `5.2` is looked up as job 5 (qacct prints every task of it). */
export const QACCT_LOOP = 'for id in "$@"; do qacct -j "$id" || :; done';

export function qacctCommand(ids: readonly string[]): CommandSpec {
  checkSgeIds(ids);
  const jobs = [...new Set(ids.map((id) => id.split(".")[0]!))];
  return { argv: ["sh", "-c", QACCT_LOOP, "ferry-qacct", ...jobs] };
}

export function qdelCommand(ids: readonly string[]): CommandSpec {
  checkSgeIds(ids);
  return { argv: ["qdel", ...ids] };
}
