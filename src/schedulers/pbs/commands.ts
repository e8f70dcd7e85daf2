/**
 * PBS commands. PBS Pro: `qstat -f -F json` for the live queue and `qstat -x -f -F json` (job
 * history, finished jobs included) for accounting. TORQUE (and the slurm-wlm-torque wrappers,
 * whose qstat knows neither -F nor -x) get `qstat -f` text, which lists completed jobs while the
 * server keeps them (keep_completed); they have no accounting command here (tracejob reads the
 * server's logs, on the server host).
 *
 * qsub gets -o/-e on its command line as well as in the script: the slurm-wlm-torque qsub passes
 * its own `-o <script>.o%A` to sbatch, which overrides the script's #PBS -o (recorded on the
 * test cluster), and on real PBS the command line wins anyway, with the same value.
 */
import { ValidationError } from "../../model/errors.ts";
import type { CommandSpec } from "../../transport/types.ts";
import { DirectiveProblems } from "../common/directives.ts";
import { checkRunNames } from "../common/names.ts";
import type { SubmitRequest } from "../types.ts";
import { type PbsFlavor, pbsPath } from "./resources.ts";

const JOB_ID = /^\d+(\[\d*\])?(\.[A-Za-z0-9_.-]+)?$/;

function checkPbsIds(ids: readonly string[]): void {
  const bad = ids.filter((id) => !JOB_ID.test(id));
  if (bad.length > 0) {
    throw new ValidationError(
      "not PBS job ids:",
      bad.map((id) => ({ field: "id", message: JSON.stringify(id) })),
    );
  }
}

export function pbsSubmitCommand(req: SubmitRequest, flavor: PbsFlavor): CommandSpec {
  const problems = new DirectiveProblems("pbs"); // renderDirectives reports these paths' problems
  return {
    argv: [
      "qsub",
      "-o",
      pbsPath(problems, "stdoutPath", req.stdoutPath, flavor),
      "-e",
      pbsPath(problems, "stderrPath", req.stderrPath, flavor),
      req.scriptPath,
    ],
    // PBS Pro has no start-directory option: the job starts in $HOME with PBS_O_WORKDIR set to
    // the directory qsub ran in, so the batch script should cd to its launch directory itself.
    cwd: req.workDir,
  };
}

export function pbsStatusCommand(ids: readonly string[], flavor: PbsFlavor): CommandSpec {
  checkPbsIds(ids);
  return { argv: flavor === "pbspro" ? ["qstat", "-f", "-F", "json", ...ids] : ["qstat", "-f", ...ids] };
}

export function pbsAccountingCommand(ids: readonly string[], flavor: PbsFlavor): CommandSpec | null {
  checkPbsIds(ids);
  return flavor === "pbspro" ? { argv: ["qstat", "-x", "-f", "-F", "json", ...ids] } : null;
}

/**
 * Name lookup: the status listing of every job (`qstat -f`, all users' on most servers), whose
 * entries carry Job_Name; the caller picks its names. Not `qselect -N`: one name per call, and
 * the slurm-wlm-torque wrappers have no qselect to test it on.
 */
export function pbsNamesCommand(names: readonly string[], flavor: PbsFlavor): CommandSpec {
  checkRunNames(names);
  return pbsStatusCommand([], flavor);
}

export function qdelCommand(ids: readonly string[]): CommandSpec {
  checkPbsIds(ids);
  return { argv: ["qdel", ...ids] };
}
