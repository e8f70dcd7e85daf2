/**
 * SLURM commands, all machine-readable:
 * - submit: `sbatch --parsable` prints `id` or `id;cluster`;
 * - status: `squeue --states=all` so that jobs that finished less than MinJobAge ago (300 s by
 *   default) still report their final state and exit code straight from slurmctld; `--Format`
 *   with a `|` suffix per field prints unpadded, untruncated columns. Not `--json`: in 22.05
 *   (openapi v0.0.38) it ignores `--jobs` and `--states` and dumps every job of the cluster,
 *   ~3.6 kB each (recorded on the test cluster);
 * - accounting: `sacct --parsable2` without `-X`, because the script's own exit status is on the
 *   `.batch` step (the allocation line says 0:0 for a job killed at its time limit);
 * - cancel: `scancel`;
 * - name lookup: `squeue --name=a,b --states=all`, the job name as the second column (ferry's run
 *   names hold no comma or `|`: common/names.ts).
 */
import { ValidationError } from "../../model/errors.ts";
import type { CommandSpec } from "../../transport/types.ts";
import { checkRunNames } from "../common/names.ts";
import type { SubmitRequest } from "../types.ts";

export const SQUEUE_FIELDS = ["JobArrayID", "State", "exit_code", "BatchHost", "Reason"] as const;
export const SACCT_FIELDS = ["JobID", "State", "ExitCode", "Start", "Reason"] as const;

const JOB_ID = /^\d+(_\d+)?$/;

export function checkSlurmIds(ids: readonly string[]): void {
  const bad = ids.filter((id) => !JOB_ID.test(id));
  if (bad.length > 0) {
    throw new ValidationError(
      "not SLURM job ids:",
      bad.map((id) => ({ field: "id", message: JSON.stringify(id) })),
    );
  }
}

export function slurmSubmitCommand(req: SubmitRequest): CommandSpec {
  return { argv: ["sbatch", "--parsable", req.scriptPath], cwd: req.workDir };
}

export function squeueCommand(ids: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkSlurmIds(ids);
  const argv = [
    "squeue",
    "--noheader",
    "--array",
    "--states=all",
    `--Format=${SQUEUE_FIELDS.map((f) => `${f}:|`).join(",")}`,
  ];
  if (ids.length > 0) argv.push(`--jobs=${ids.join(",")}`);
  if (options.user !== undefined) argv.push(`--user=${options.user}`);
  return { argv };
}

export const SQUEUE_NAME_FIELDS = [
  "JobArrayID",
  "Name",
  "State",
  "exit_code",
  "BatchHost",
  "Reason",
] as const;

export function squeueNamesCommand(names: readonly string[], options: { user?: string } = {}): CommandSpec {
  checkRunNames(names);
  const argv = [
    "squeue",
    "--noheader",
    "--states=all",
    `--name=${names.join(",")}`,
    `--Format=${SQUEUE_NAME_FIELDS.map((f) => `${f}:|`).join(",")}`,
  ];
  if (options.user !== undefined) argv.push(`--user=${options.user}`);
  return { argv };
}

export function sacctCommand(ids: readonly string[]): CommandSpec {
  checkSlurmIds(ids);
  return {
    argv: [
      "sacct",
      "--noheader",
      "--parsable2",
      `--jobs=${ids.join(",")}`,
      `--format=${SACCT_FIELDS.join(",")}`,
    ],
  };
}

export function scancelCommand(ids: readonly string[]): CommandSpec {
  checkSlurmIds(ids);
  return { argv: ["scancel", ...ids] };
}
