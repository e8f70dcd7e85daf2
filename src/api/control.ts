/**
 * Changes to selected jobs: rerun, cancel, pause, resume, retry, reignite, archive, delete,
 * set-priority, update. Each takes a Selection (a change needs a selector or `all`) and
 * `dryRun`, which returns exactly what the real call would report and changes nothing. The real
 * call decides again inside its transaction (engine/control.ts), so what it reports is what it
 * did, even if a launcher claimed a job since the dry run.
 */
import type { Brief, ControlResult, LiveRun } from "../engine/control.ts";
import type { RerunPlan } from "../engine/rerun.ts";
import type { StopReport } from "../engine/stop.ts";
import type { EditLine, JobEdits } from "../engine/update.ts";
import { UsageError } from "../model/errors.ts";
import type { JsonValue } from "../model/json.ts";
import type { ApiContext } from "./context.ts";
import { type Selection, selectJobIds } from "./selection.ts";

export type { Brief, EditLine, LiveRun, StopReport };

export type ChangeCommand =
  | "rerun"
  | "cancel"
  | "pause"
  | "resume"
  | "retry"
  | "reignite"
  | "archive"
  | "delete"
  | "set-priority"
  | "update";

export interface DryRunOption {
  /** Report what would change; change nothing. */
  dryRun?: boolean;
}

/** What a change did (or, with `dryRun`, would do). */
export interface ChangeReport {
  command: ChangeCommand;
  dryRun: boolean;
  /** Jobs the selection matched. */
  matched: number;
  /** Jobs that changed (would change). */
  changed: Brief[];
  /** Matched jobs left alone, with the reason. */
  skipped: (Brief & { reason: string })[];
  /** Live runs stopped (would be stopped; refused without `force` where the command needs it). */
  live: LiveRun[];
  /** How the live runs were stopped (null: none, or a dry run). */
  stopped: StopReport | null;
  /** `update`: each edited field, before and after. */
  edits: EditLine[];
  /** `delete`: descendants deleted with the selected jobs. */
  descendants: Brief[];
  /** `delete` with `files`: launch directories removed. */
  removedDirs: string[];
}

export interface RerunReport extends RerunPlan {
  command: "rerun";
  dryRun: boolean;
  matched: number;
  stopped: StopReport | null;
  /** Jobs READY at once (their parents are done). */
  ready: number[];
}

export interface RerunRequest extends DryRunOption {
  /** Stop live (queued or running) runs first instead of refusing. */
  force?: boolean;
  /** Resume at the task that failed, with the outputs of the tasks before it. */
  taskLevel?: boolean;
  /** Task level: a fresh launch directory (default), a copy of the previous one, or the previous one. */
  dirMode?: "fresh" | "copy" | "reuse";
  /** Forget saved task-level recovery: start again at task 0. */
  clearRecovery?: boolean;
  /** Edits made with the rerun: `{"resources.walltime": "4:00:00"}`, or `"path=value"` strings. */
  set?: Readonly<Record<string, JsonValue>> | readonly string[];
}

async function edits(set: RerunRequest["set"]): Promise<JobEdits | undefined> {
  if (set === undefined) return undefined;
  if (Array.isArray(set)) return (await import("../engine/update.ts")).parseSets(set as readonly string[]);
  return Object.fromEntries(Object.entries(set));
}

function report(
  command: ChangeCommand,
  dryRun: boolean,
  matched: number,
  r: Partial<ControlResult> & {
    descendants?: Brief[];
    removedDirs?: string[];
  },
): ChangeReport {
  return {
    command,
    dryRun,
    matched,
    changed: r.changed ?? [],
    skipped: r.skipped ?? [],
    live: r.live ?? [],
    stopped: r.stopped ?? null,
    edits: r.edits ?? [],
    descendants: r.descendants ?? [],
    removedDirs: r.removedDirs ?? [],
  };
}

export async function rerun(ctx: ApiContext, sel: Selection, o: RerunRequest = {}): Promise<RerunReport> {
  if (o.taskLevel && o.clearRecovery)
    throw new UsageError("--task-level and --clear-recovery exclude each other");
  if (o.dirMode && o.dirMode !== "fresh" && !o.taskLevel)
    throw new UsageError("--copy-data and --previous-dir need --task-level");
  const set = await edits(o.set);
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "rerun");
  const { rerunJobs } = await import("../engine/rerun.ts");
  const r = await rerunJobs(store, ids, {
    ...(o.force ? { force: true } : {}),
    ...(o.taskLevel ? { taskLevel: true, dirMode: o.dirMode ?? "fresh" } : {}),
    ...(o.clearRecovery ? { clearRecovery: true } : {}),
    ...(set ? { set } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    stop: ctx.stopOptions("stopped for a rerun"),
  });
  return { command: "rerun", dryRun: o.dryRun === true, matched: ids.length, ...r };
}

type Simple = "pause" | "resume" | "reignite" | "retry" | "cancel";

/** pause, resume, reignite, retry, cancel: the same shape, no options but `dryRun`. */
export async function simpleChange(
  ctx: ApiContext,
  command: Simple,
  sel: Selection,
  o: DryRunOption = {},
): Promise<ChangeReport> {
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, command);
  const c = await import("../engine/control.ts");
  const dry = { dryRun: o.dryRun === true };
  const r =
    command === "pause"
      ? await c.pauseJobs(store, ids, dry)
      : command === "resume"
        ? await c.resumeJobs(store, ids, dry)
        : command === "reignite"
          ? await c.reigniteJobs(store, ids, dry)
          : command === "retry"
            ? await c.retryJobs(store, ids, dry)
            : await c.cancelJobs(store, ids, { ...ctx.stopOptions("cancelled"), ...dry });
  return report(command, dry.dryRun, ids.length, r);
}

export async function archive(
  ctx: ApiContext,
  sel: Selection,
  o: DryRunOption & { force?: boolean } = {},
): Promise<ChangeReport> {
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "archive");
  const { archiveJobs } = await import("../engine/control.ts");
  const r = await archiveJobs(store, ids, {
    force: o.force === true,
    dryRun: o.dryRun === true,
    stop: ctx.stopOptions("archived"),
  });
  return report("archive", o.dryRun === true, ids.length, r);
}

export async function remove(
  ctx: ApiContext,
  sel: Selection,
  o: DryRunOption & { force?: boolean; files?: boolean } = {},
): Promise<ChangeReport> {
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "delete");
  const { deleteJobs } = await import("../engine/control.ts");
  const r = await deleteJobs(store, ids, {
    force: o.force === true,
    files: o.files === true,
    dryRun: o.dryRun === true,
    stop: ctx.stopOptions("deleted"),
  });
  return report("delete", o.dryRun === true, ids.length, r);
}

export async function setPriority(
  ctx: ApiContext,
  sel: Selection,
  priority: number,
  o: DryRunOption = {},
): Promise<ChangeReport> {
  if (typeof priority !== "number" || !Number.isFinite(priority))
    throw new UsageError(`a priority is a finite number, got ${priority}`);
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "set-priority");
  const c = await import("../engine/control.ts");
  return report("set-priority", o.dryRun === true, ids.length, await c.setPriority(store, ids, priority, o));
}

export async function update(
  ctx: ApiContext,
  sel: Selection,
  o: DryRunOption & { set: RerunRequest["set"] },
): Promise<ChangeReport> {
  const set = await edits(o.set);
  if (!set || Object.keys(set).length === 0)
    throw new UsageError("update needs at least one --set path=value");
  const store = await ctx.store();
  const ids = await selectJobIds(store, sel, "update");
  const c = await import("../engine/control.ts");
  return report("update", o.dryRun === true, ids.length, await c.updateJobs(store, ids, set, o));
}
