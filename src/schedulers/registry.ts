/**
 * The only place that knows the list of schedulers (ARCHITECTURE.md: no `if (type === "slurm")`
 * anywhere else).
 */
import { ValidationError } from "../model/errors.ts";
import { SCHEDULER_NAMES, type SchedulerName } from "../model/resources.ts";
import { didYouMean } from "../model/suggest.ts";
import { lsf } from "./lsf/index.ts";
import { createPbsScheduler, type PbsFlavor } from "./pbs/index.ts";
import { sge } from "./sge/index.ts";
import { shell } from "./shell/index.ts";
import { slurm } from "./slurm/index.ts";
import type { Scheduler } from "./types.ts";

export interface SchedulerOptions {
  /** Which PBS: "pbspro" (PBS Professional / OpenPBS, the default) or "torque" (also the slurm-wlm-torque wrappers). */
  pbsFlavor?: PbsFlavor;
}

export function getScheduler(name: string, options: SchedulerOptions = {}): Scheduler {
  switch (name as SchedulerName) {
    case "slurm":
      return slurm;
    case "pbs":
      return createPbsScheduler(options.pbsFlavor ?? "pbspro");
    case "sge":
      return sge;
    case "lsf":
      return lsf;
    case "shell":
      return shell;
    default:
      throw new ValidationError(`unknown scheduler "${name}"${didYouMean(name, SCHEDULER_NAMES)}`, [
        { field: "scheduler", message: `use one of ${SCHEDULER_NAMES.join(", ")}` },
      ]);
  }
}
