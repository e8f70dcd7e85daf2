/** The SLURM scheduler: sbatch / squeue / sacct / scancel (tested on a real SLURM 22.05). */
import type { Scheduler } from "../types.ts";
import {
  sacctCommand,
  scancelCommand,
  slurmSubmitCommand,
  squeueCommand,
  squeueNamesCommand,
} from "./commands.ts";
import { parseSacct, parseSbatch, parseScancel, parseSqueue, parseSqueueNames } from "./parse.ts";
import { renderSlurmDirectives } from "./resources.ts";

export const slurm: Scheduler = {
  name: "slurm",
  supportsArrays: true,
  // SLURM stores any name; 200 keeps squeue and sacct columns readable
  jobNameLimits: { maxLength: 200, startWithLetter: false },
  warningSignals: ["USR1", "USR2", "TERM"],
  // squeue --states=all keeps finished jobs for MinJobAge (300 s by default), long after
  // slurmdbd has their record: when a job leaves squeue, sacct already knows it.
  accountingDelaySeconds: 0,
  jobIdVariable: "SLURM_JOB_ID",
  arrayIndexVariable: "SLURM_ARRAY_TASK_ID",
  renderDirectives: renderSlurmDirectives,
  submitCommand: slurmSubmitCommand,
  parseSubmit: parseSbatch,
  statusCommand: squeueCommand,
  parseStatus: parseSqueue,
  accountingCommand: sacctCommand,
  parseAccounting: parseSacct,
  nameLookupCommand: squeueNamesCommand,
  parseNameLookup: parseSqueueNames,
  cancelCommand: scancelCommand,
  parseCancel: (output) => parseScancel(output),
  transientErrors:
    /Socket timed out|Unable to contact slurm controller|Zero Bytes were transmitted|Resource temporarily unavailable|Connection refused|Transport endpoint is not connected|Communication connection failure/i,
};
