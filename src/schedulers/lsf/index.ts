/** The LSF scheduler: bsub / bjobs -json / bkill (parsers tested on documented output formats). */
import type { Scheduler } from "../types.ts";
import { bjobsCommand, bjobsNamesCommand, bkillCommand, lsfSubmitCommand } from "./commands.ts";
import { parseBjobsJson, parseBkill, parseBsub } from "./parse.ts";
import { LSF_JOB_NAME, renderLsfDirectives } from "./resources.ts";

export const lsf: Scheduler = {
  name: "lsf",
  supportsArrays: true,
  jobNameLimits: LSF_JOB_NAME,
  warningSignals: ["USR1", "USR2", "TERM"],
  accountingDelaySeconds: 0,
  jobIdVariable: "LSB_JOBID",
  arrayIndexVariable: "LSB_JOBINDEX",
  renderDirectives: renderLsfDirectives,
  submitCommand: lsfSubmitCommand,
  parseSubmit: parseBsub,
  statusCommand: bjobsCommand,
  parseStatus: parseBjobsJson,
  accountingCommand: () => null,
  parseAccounting: () => ({
    jobs: new Map(),
    problems: [],
    failure: "lsf has no accounting command in ferry",
  }),
  nameLookupCommand: bjobsNamesCommand,
  parseNameLookup: parseBjobsJson,
  cancelCommand: bkillCommand,
  parseCancel: (output) => parseBkill(output),
  transientErrors: /not responding|Cannot connect to LSF|Failed in an LSF library call|try again later/i,
};
