/**
 * Commands that change jobs: pause, resume, cancel, reignite, retry, archive, delete,
 * set-priority, update (rerun has its own module). All share the same rules:
 *  - no selector means nothing, not everything: --all must be explicit;
 *  - --dry-run shows what would change and changes nothing;
 *  - more than 10 jobs that will change asks for confirmation (or needs --yes without a terminal).
 */
import { createInterface } from "node:readline/promises";
import type { ChangeReport } from "../../api/control.ts";
import type { Project } from "../../api/project.ts";
import type { Selection } from "../../api/selection.ts";
import { ConflictError } from "../../model/errors.ts";
import type { CliContext } from "../context.ts";
import type { SelectorValues } from "../options.ts";
import { json } from "../output.ts";
import { printChange } from "../print-change.ts";
import { selectionOf } from "../selection.ts";

export interface ChangeFlags extends SelectorValues {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export const CONFIRM_ABOVE = 10;

/** Ask before touching many jobs; without a terminal, insist on --yes. */
export async function confirm(count: number, what: string): Promise<void> {
  if (count <= CONFIRM_ABOVE) return;
  if (!process.stdin.isTTY) {
    throw new ConflictError(
      `${what}: ${count} jobs would change; add --yes to confirm (or --dry-run to see them first). Nothing was changed.`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}: ${count} jobs will change. Go ahead? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ConflictError("not confirmed; nothing was changed");
  } finally {
    rl.close();
  }
}

/**
 * A dry run first — the preview, and the number of jobs to confirm — then the change, which
 * decides again in its own transaction (what it reports is what it did).
 */
export async function withPreview<R extends { dryRun: boolean }>(
  ctx: CliContext,
  o: ChangeFlags,
  what: string,
  run: (project: Project, sel: Selection, dryRun: boolean) => Promise<R>,
  changes: (r: R) => number,
  print: (r: R) => void,
): Promise<undefined> {
  const sel = selectionOf(o);
  const project = await ctx.project();
  if (!o.dryRun && !o.yes) await confirm(changes(await run(project, sel, true)), what);
  const r = await run(project, sel, o.dryRun === true);
  if (o.json) ctx.out.write(json(r));
  else print(r);
  return undefined;
}

const jobsChanging = (r: ChangeReport) => r.changed.length + r.descendants.length;

type SimpleVerb = "pause" | "resume" | "cancel" | "reignite" | "retry";

export function simple(verb: SimpleVerb) {
  return (ctx: CliContext, o: ChangeFlags) =>
    withPreview(
      ctx,
      o,
      verb,
      (p, sel, dryRun) => p[verb](sel, { dryRun }),
      jobsChanging,
      (r) => printChange(ctx.out, r),
    );
}

export async function archive(ctx: CliContext, o: ChangeFlags & { force?: boolean }) {
  return withPreview(
    ctx,
    o,
    "archive",
    (p, sel, dryRun) => p.archive(sel, { dryRun, force: o.force === true }),
    jobsChanging,
    (r) => printChange(ctx.out, r, { force: o.force === true }),
  );
}

export async function remove(ctx: CliContext, o: ChangeFlags & { force?: boolean; files?: boolean }) {
  return withPreview(
    ctx,
    o,
    "delete",
    (p, sel, dryRun) => p.delete(sel, { dryRun, force: o.force === true, files: o.files === true }),
    jobsChanging,
    (r) => printChange(ctx.out, r, { force: o.force === true }),
  );
}

export async function setPriority(ctx: CliContext, o: ChangeFlags, [priority]: readonly [number]) {
  return withPreview(
    ctx,
    o,
    "set-priority",
    (p, sel, dryRun) => p.setPriority(sel, priority, { dryRun }),
    jobsChanging,
    (r) => printChange(ctx.out, r),
  );
}

export async function update(ctx: CliContext, o: ChangeFlags & { set?: string[] }) {
  return withPreview(
    ctx,
    o,
    "update",
    (p, sel, dryRun) => p.update(sel, { dryRun, set: o.set ?? [] }),
    jobsChanging,
    (r) => printChange(ctx.out, r),
  );
}
