/** The LSF scheduler: bsub / bjobs -json / bkill (parsers tested on documented output formats). */
import type { Scheduler } from "../types.ts";
import { bjobsCommand, bkillCommand, lsfSubmitCommand } from "./commands.ts";
import { parseBjobsJson, parseBkill, parseBsub } from "./parse.ts";
import { renderLsfDirectives } from "./resources.ts";

export const lsf: Scheduler = {
  name: "lsf",
  supportsArrays: true,
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
  cancelCommand: bkillCommand,
  parseCancel: (output) => parseBkill(output),
  transientErrors: /not responding|Cannot connect to LSF|Failed in an LSF library call|try again later/i,
};
