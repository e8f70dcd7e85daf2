/** `ferry rerun`: archive the selected jobs' runs and reset them and their descendants. */
import { UsageError } from "../../model/errors.ts";
import type { CliContext } from "../context.ts";
import { printRerun } from "../print-change.ts";
import { type ChangeFlags, withPreview } from "./change.ts";

export interface RerunFlags extends ChangeFlags {
  force?: boolean;
  taskLevel?: boolean;
  copyData?: boolean;
  previousDir?: boolean;
  clearRecovery?: boolean;
  set?: string[];
}

export async function rerun(ctx: CliContext, o: RerunFlags): Promise<undefined> {
  if (o.copyData && o.previousDir) throw new UsageError("--copy-data and --previous-dir exclude each other");
  if ((o.copyData || o.previousDir) && !o.taskLevel)
    throw new UsageError("--copy-data and --previous-dir need --task-level");
  const dirMode = o.copyData ? "copy" : o.previousDir ? "reuse" : "fresh";
  return withPreview(
    ctx,
    o,
    "rerun",
    (p, sel, dryRun) =>
      p.rerun(sel, {
        dryRun,
        ...(o.force ? { force: true } : {}),
        ...(o.taskLevel ? { taskLevel: true, dirMode } : {}),
        ...(o.clearRecovery ? { clearRecovery: true } : {}),
        ...(o.set ? { set: o.set } : {}),
      }),
    (r) => r.jobs.length + r.descendants.length,
    (r) => printRerun(ctx.out, r, { force: o.force === true }),
  );
}
