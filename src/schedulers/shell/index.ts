/** The shell scheduler: a detached local process per job (no queue, no accounting). */
import type { Scheduler } from "../types.ts";
import { killCommand, psCommand, psNamesCommand, SHELL_JOB_NAME, shellSubmitCommand } from "./commands.ts";
import { parseKill, parsePs, parseShellSubmit } from "./parse.ts";
import { checkShellRequest } from "./resources.ts";

export const shell: Scheduler = {
  name: "shell",
  supportsArrays: false,
  jobNameLimits: SHELL_JOB_NAME,
  warningSignals: ["USR1", "USR2", "TERM"],
  accountingDelaySeconds: 0,
  jobIdVariable: "FERRY_SHELL_JOB_ID",
  arrayIndexVariable: null,
  renderDirectives: checkShellRequest,
  submitCommand: shellSubmitCommand,
  parseSubmit: parseShellSubmit,
  statusCommand: (ids) => psCommand(ids),
  parseStatus: parsePs,
  // A finished process leaves nothing to ask: the poller reports "unknown" and the result
  // file in the launch directory decides.
  accountingCommand: () => null,
  parseAccounting: () => ({
    jobs: new Map(),
    problems: [],
    failure: "the shell scheduler keeps no accounting",
  }),
  nameLookupCommand: psNamesCommand,
  parseNameLookup: parsePs,
  cancelCommand: killCommand,
  parseCancel: (output) => parseKill(output),
  // ps and kill act on this machine: there is no daemon to be busy.
  transientErrors: null,
};
