/** The Grid Engine scheduler: qsub / qstat -xml / qacct / qdel (tested on Son of Grid Engine 8.1.9). */
import type { Scheduler } from "../types.ts";
import { qacctCommand, qdelCommand, qstatCommand, qstatNamesCommand, sgeSubmitCommand } from "./commands.ts";
import { parseQacct, parseQdel, parseQstatXml, parseQsubTerse } from "./parse.ts";
import { renderSgeDirectives, SGE_JOB_NAME } from "./resources.ts";

export const sge: Scheduler = {
  name: "sge",
  supportsArrays: true,
  jobNameLimits: SGE_JOB_NAME,
  warningSignals: ["USR1"],
  // qstat forgets a job the moment it ends, while qacct records appear at the next accounting
  // flush (flush_time, 15 s by default; scripts/ci/sge.sh sets 1 s).
  accountingDelaySeconds: 20,
  jobIdVariable: "JOB_ID",
  arrayIndexVariable: "SGE_TASK_ID",
  renderDirectives: renderSgeDirectives,
  submitCommand: sgeSubmitCommand,
  parseSubmit: parseQsubTerse,
  statusCommand: qstatCommand,
  parseStatus: parseQstatXml,
  accountingCommand: qacctCommand,
  parseAccounting: parseQacct,
  nameLookupCommand: qstatNamesCommand,
  parseNameLookup: parseQstatXml,
  cancelCommand: qdelCommand,
  parseCancel: (output) => parseQdel(output),
  transientErrors:
    /unable to contact qmaster|failed receiving gdi request|commlib error|can't connect to service/i,
};
