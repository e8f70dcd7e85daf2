/**
 * LSF commands:
 * - submit: bsub reads #BSUB directives only from a script on its stdin (`bsub script` would run
 *   the file as a command and ignore them), so a fixed `sh -c 'exec bsub < "$1"'` feeds it; the
 *   path is a positional parameter, never pasted into the shell text;
 * - status: `bjobs -a -o "<fields>" -json`, which also lists jobs that finished within
 *   CLEAN_PERIOD (one hour by default) with their exit code and termination reason;
 * - accounting: none. bhist/bacct print text meant for people, and after CLEAN_PERIOD the poller
 *   reports "unknown" — the result file in the launch directory decides anyway;
 * - cancel: `bkill`;
 * - name lookup: `bjobs -a` of all the user's jobs with `job_name` among the fields (`-J` takes
 *   one name per call).
 */
import { ValidationError } from "../../model/errors.ts";
import type { CommandSpec } from "../../transport/types.ts";
import { checkRunNames } from "../common/names.ts";
import type { SubmitRequest } from "../types.ts";

export const BJOBS_FIELDS = "jobid jobindex stat exit_code exit_reason pend_reason";

const JOB_ID = /^\d+(\[\d+\])?$/;

function checkLsfIds(ids: readonly string[]): void {
  const bad = ids.filter((id) => !JOB_ID.test(id));
  if (bad.length > 0) {
    throw new ValidationError(
      "not LSF job ids:",
      bad.map((id) => ({ field: "id", message: JSON.stringify(id) })),
    );
  }
}

export function lsfSubmitCommand(req: SubmitRequest): CommandSpec {
  return { argv: ["sh", "-c", 'exec bsub < "$1"', "ferry-bsub", req.scriptPath], cwd: req.workDir };
}

export function bjobsCommand(ids: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkLsfIds(ids);
  const argv = ["bjobs", "-a", "-o", BJOBS_FIELDS, "-json"];
  if (options.user !== undefined) argv.push("-u", options.user);
  return { argv: [...argv, ...ids] };
}

export const BJOBS_NAME_FIELDS = "jobid jobindex job_name stat exit_code exit_reason pend_reason";

export function bjobsNamesCommand(names: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkRunNames(names);
  const argv = ["bjobs", "-a", "-o", BJOBS_NAME_FIELDS, "-json"];
  if (options.user !== undefined) argv.push("-u", options.user);
  return { argv };
}

export function bkillCommand(ids: readonly string[]): CommandSpec {
  checkLsfIds(ids);
  return { argv: ["bkill", ...ids] };
}
