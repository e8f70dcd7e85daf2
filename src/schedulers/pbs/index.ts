/**
 * The PBS scheduler, in two flavours: PBS Pro / OpenPBS (JSON status, job history for
 * accounting) and TORQUE (text `qstat -f`; also what the slurm-wlm-torque wrappers speak).
 */
import type { CommandOutput } from "../../transport/types.ts";
import type { Scheduler, StatusListing } from "../types.ts";
import {
  pbsAccountingCommand,
  pbsNamesCommand,
  pbsStatusCommand,
  pbsSubmitCommand,
  qdelCommand,
} from "./commands.ts";
import { parseQdel, parseQstatJson, parseQsub } from "./parse.ts";
import { parseQstatFull } from "./parse-text.ts";
import { PBS_JOB_NAME, type PbsFlavor, renderPbsDirectives } from "./resources.ts";

export type { PbsFlavor } from "./resources.ts";

/** JSON or `Job Id:` text, whichever qstat printed (a PBS Pro older than 14.1 has no -F json). */
function parseAnyQstat(output: CommandOutput, flavor: PbsFlavor): StatusListing {
  return /^\s*Job Id:/.test(output.stdout)
    ? parseQstatFull(output, flavor)
    : flavor === "pbspro"
      ? parseQstatJson(output, flavor)
      : parseQstatFull(output, flavor);
}

export function createPbsScheduler(flavor: PbsFlavor): Scheduler {
  return {
    name: "pbs",
    supportsArrays: true,
    jobNameLimits: PBS_JOB_NAME,
    warningSignals: [],
    accountingDelaySeconds: 0,
    jobIdVariable: "PBS_JOBID",
    arrayIndexVariable: flavor === "pbspro" ? "PBS_ARRAY_INDEX" : "PBS_ARRAYID",
    renderDirectives: (req) => renderPbsDirectives(req, flavor),
    submitCommand: (req) => pbsSubmitCommand(req, flavor),
    parseSubmit: parseQsub,
    statusCommand: (ids) => pbsStatusCommand(ids, flavor),
    parseStatus: (output) => parseAnyQstat(output, flavor),
    accountingCommand: (ids) => pbsAccountingCommand(ids, flavor),
    parseAccounting: (output) => parseQstatJson(output, flavor),
    nameLookupCommand: (names) => pbsNamesCommand(names, flavor),
    parseNameLookup: (output) => parseAnyQstat(output, flavor),
    cancelCommand: qdelCommand,
    parseCancel: (output) => parseQdel(output),
    transientErrors:
      /cannot connect to server|pbs_iff|Connection refused|End of File|communication failure|timed out/i,
  };
}

export const pbsPro: Scheduler = createPbsScheduler("pbspro");
export const torque: Scheduler = createPbsScheduler("torque");
