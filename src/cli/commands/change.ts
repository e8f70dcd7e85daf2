/**
 * Commands that change jobs: rerun, pause, resume, cancel, reignite, archive, delete,
 * set-priority, update. All share the same rules:
 *  - no selector means nothing, not everything: --all must be explicit;
 *  - --dry-run lists what would change and changes nothing;
 *  - more than 10 jobs asks for confirmation (or needs --yes when there is no terminal).
 */
import { createInterface } from "node:readline/promises";
import {
  archiveJobs,
  type ControlResult,
  cancelJobs,
  deleteJobs,
  pauseJobs,
  reigniteJobs,
  resumeJobs,
  setPriority,
  updateJobs,
} from "../../engine/control.ts";
import { type RerunOptions, rerunJobs } from "../../engine/rerun.ts";
import { parseSets } from "../../engine/update.ts";
import { ConflictError, UsageError } from "../../model/errors.ts";
import type { JobState } from "../../model/states.ts";
import type { Context } from "../context.ts";
import { filterFromOptions, requireSelection, type SelectorOptions } from "../selectors.ts";
import { stopOptions } from "./stop-runs.ts";

export interface ChangeOptions extends SelectorOptions {
  dryRun?: boolean;
  yes?: boolean;
}

export interface Selected {
  id: number;
  name: string;
  state: JobState;
  flowId: number;
}

export const CONFIRM_ABOVE = 10;

export async function selectJobs(ctx: Context, o: ChangeOptions, command: string): Promise<Selected[]> {
  const filter = filterFromOptions(o);
  requireSelection(filter, o, command);
  return (await ctx.store()).findJobStates(filter);
}

/** Ask before touching many jobs; without a terminal, insist on --yes. */
export async function confirm(o: ChangeOptions, count: number, what: string): Promise<void> {
  if (count <= CONFIRM_ABOVE || o.yes) return;
  if (!process.stdin.isTTY) {
    throw new ConflictError(
      `${what}: ${count} jobs selected; add --yes to confirm (or --dry-run to see them first). Nothing was changed.`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}: ${count} jobs. Go ahead? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ConflictError("not confirmed; nothing was changed");
  } finally {
    rl.close();
  }
}

export interface ChangeOutcome<T> {
  command: string;
  dryRun: boolean;
  selected: Selected[];
  result: T | null;
}

async function change<T>(
  ctx: Context,
  o: ChangeOptions,
  command: string,
  apply: (ids: number[]) => Promise<T>,
): Promise<ChangeOutcome<T>> {
  const selected = await selectJobs(ctx, o, command);
  if (o.dryRun || selected.length === 0)
    return { command, dryRun: o.dryRun === true, selected, result: null };
  await confirm(o, selected.length, command);
  return { command, dryRun: false, selected, result: await apply(selected.map((s) => s.id)) };
}

export interface RerunCommandOptions extends ChangeOptions {
  force?: boolean;
  taskLevel?: boolean;
  copyData?: boolean;
  previousDir?: boolean;
  clearRecovery?: boolean;
  set?: string[];
}

export async function rerunCommand(ctx: Context, o: RerunCommandOptions) {
  if (o.copyData && o.previousDir) throw new UsageError("--copy-data and --previous-dir exclude each other");
  if ((o.copyData || o.previousDir) && !o.taskLevel)
    throw new UsageError("--copy-data and --previous-dir need --task-level");
  if (o.taskLevel && o.clearRecovery)
    throw new UsageError("--task-level and --clear-recovery exclude each other");
  const store = await ctx.store();
  const options: RerunOptions = {
    ...(o.force ? { force: true } : {}),
    ...(o.taskLevel
      ? { taskLevel: true, dirMode: o.copyData ? "copy" : o.previousDir ? "reuse" : "fresh" }
      : {}),
    ...(o.clearRecovery ? { clearRecovery: true } : {}),
    ...(o.set ? { set: parseSets(o.set) } : {}),
  };
  if (o.dryRun) {
    const selected = await selectJobs(ctx, o, "rerun");
    return {
      command: "rerun",
      dryRun: true,
      selected,
      result: await rerunJobs(
        store,
        selected.map((s) => s.id),
        { ...options, dryRun: true },
      ),
    };
  }
  return change(ctx, o, "rerun", async (ids) =>
    rerunJobs(store, ids, { ...options, stop: stopOptions(ctx, "stopped for a rerun") }),
  );
}

type Control = (
  ctx: Context,
  o: ChangeOptions & Record<string, unknown>,
) => Promise<ChangeOutcome<ControlResult>>;

export const controlCommands: Record<string, Control> = {
  pause: async (ctx, o) => change(ctx, o, "pause", async (ids) => pauseJobs(await ctx.store(), ids)),
  resume: async (ctx, o) => change(ctx, o, "resume", async (ids) => resumeJobs(await ctx.store(), ids)),
  reignite: async (ctx, o) => change(ctx, o, "reignite", async (ids) => reigniteJobs(await ctx.store(), ids)),
  cancel: async (ctx, o) =>
    change(ctx, o, "cancel", async (ids) =>
      cancelJobs(await ctx.store(), ids, stopOptions(ctx, "cancelled")),
    ),
  archive: async (ctx, o) =>
    change(ctx, o, "archive", async (ids) =>
      archiveJobs(await ctx.store(), ids, { force: o.force === true, stop: stopOptions(ctx, "archived") }),
    ),
  delete: async (ctx, o) =>
    change(ctx, o, "delete", async (ids) =>
      deleteJobs(await ctx.store(), ids, {
        force: o.force === true,
        files: o.files === true,
        stop: stopOptions(ctx, "deleted"),
      }),
    ),
};

export async function setPriorityCommand(ctx: Context, priority: string, o: ChangeOptions) {
  const p = Number(priority);
  if (!Number.isFinite(p)) throw new UsageError(`priority must be a number, got "${priority}"`);
  return change(ctx, o, "set-priority", async (ids) => setPriority(await ctx.store(), ids, p));
}

export async function updateCommand(ctx: Context, o: ChangeOptions & { set?: string[] }) {
  if (!o.set || o.set.length === 0) throw new UsageError("update needs at least one --set path=value");
  const edits = parseSets(o.set);
  return change(ctx, o, "update", async (ids) => updateJobs(await ctx.store(), ids, edits));
}

/** `ferry flows pause|resume|cancel|archive|delete`: the same operations on every job of the flows. */
export async function flowControl(
  ctx: Context,
  verb: string,
  flowIds: string[],
  o: ChangeOptions & Record<string, unknown>,
) {
  const op = controlCommands[verb];
  if (!op) throw new UsageError(`unknown flow command ${verb}`);
  if (flowIds.length === 0 && !o.all)
    throw new UsageError(`flows ${verb} needs flow ids or --all; nothing was changed`);
  return op(ctx, { ...o, ...(flowIds.length > 0 ? { flow: flowIds, all: false } : { all: true }) });
}
