/**
 * How a change (and its dry run) is shown. A dry run says everything the change will do: the
 * jobs that change (only those), the ones left alone and why, the edits, where reruns resume,
 * the live runs it stops. Beyond a screenful, lists are summarised; --json has them all.
 */
import type { ChangeReport, EditLine, LiveRun, RerunReport, StopReport } from "../api/control.ts";
import { fmt, listJobs, type Out, paint, plural, preview, safe } from "./output.ts";

type Brief = ChangeReport["changed"][number];

function editLine(out: Out, e: EditLine, dryRun: boolean): string {
  const v = (x: unknown) => (x === undefined ? "(not set)" : preview(x, 80));
  return `  ${dryRun ? "would set" : "set"} ${safe(e.name)}#${e.jobId} ${safe(e.field)}: ${v(e.from)} → ${paint(out, "bold", v(e.to)).text}\n`;
}

/** Skipped jobs grouped by reason: "3 skipped (COMPLETED: …): a#1, b#2, c#3". */
function printSkipped(out: Out, skipped: readonly (Brief & { reason: string })[]): void {
  const byReason = new Map<string, Brief[]>();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s]);
  for (const [reason, jobs] of byReason)
    out.write(`${paint(out, "gray", `  ${jobs.length} left alone (${reason}): ${listJobs(jobs)}`).text}\n`);
}

function where(l: LiveRun): string {
  return l.mode === "pull"
    ? `pull run on ${l.host ?? "?"}`
    : `${l.mode} run${l.schedulerId ? `, scheduler id ${l.schedulerId}` : ""}`;
}

function printLive(out: Out, live: readonly LiveRun[], state: "stopped" | "would stop" | "refused"): void {
  if (live.length === 0) return;
  const head =
    state === "refused"
      ? `  ${plural(live.length, "live run")}: the change is refused without --force, which stops them first:`
      : `  ${state === "stopped" ? "stopped" : "would stop"} ${plural(live.length, "live run")}:`;
  out.write(`${paint(out, "yellow", head).text}\n`);
  for (const l of live.slice(0, 20))
    out.write(fmt`    ${l.job.name}#${l.job.id} (${l.job.state}) run ${l.runId}, ${where(l)}\n`);
  if (live.length > 20)
    out.write(`    … and ${(live.length - 20).toLocaleString("en-US")} more (--json lists them all)\n`);
}

function printStopped(out: Out, r: StopReport | null): void {
  if (!r) return;
  if (r.delegated.length > 0)
    out.write(
      `  runs ${r.delegated.join(", ")} run on another host: their launcher stops them at its next beat\n`,
    );
  for (const p of r.problems) out.write(`${paint(out, "yellow", `  warning: ${p}`).text}\n`);
}

export function printChange(out: Out, r: ChangeReport, o: { force?: boolean } = {}): void {
  const command = r.command;
  if (r.matched === 0) {
    out.write(`${command}: no jobs match\n`);
    return;
  }
  const total = r.changed.length + r.descendants.length;
  if (r.dryRun) {
    out.write(
      `${command} --dry-run: would change ${plural(total, "job")} of the ${plural(r.matched, "selected job")} (nothing changed)${total > 0 ? ":" : ""}\n`,
    );
  } else {
    out.write(`${command}: ${plural(total, "job")} changed${total > 0 ? ":" : ""}\n`);
  }
  if (r.changed.length > 0) out.write(`  ${listJobs(r.changed, { states: true })}\n`);
  if (r.descendants.length > 0)
    out.write(`  with ${plural(r.descendants.length, "descendant")}: ${listJobs(r.descendants)}\n`);
  for (const e of r.edits.slice(0, 50)) out.write(editLine(out, e, r.dryRun));
  if (r.edits.length > 50)
    out.write(
      `  … and ${(r.edits.length - 50).toLocaleString("en-US")} more edits (--json lists them all)\n`,
    );
  printSkipped(out, r.skipped);
  const refusable = command === "archive" || command === "delete";
  printLive(out, r.live, r.dryRun ? (refusable && !o.force ? "refused" : "would stop") : "stopped");
  printStopped(out, r.stopped);
  if (r.removedDirs.length > 0)
    out.write(`  removed ${plural(r.removedDirs.length, "launch directory", "launch directories")}\n`);
}

const DIR_WORDS = {
  fresh: "in a new directory",
  copy: "in a copy of the previous directory",
  reuse: "in the previous directory",
};

export function printRerun(out: Out, p: RerunReport, o: { force?: boolean } = {}): void {
  if (p.matched === 0) {
    out.write("rerun: no jobs match\n");
    return;
  }
  const verb = p.dryRun ? "would rerun" : "rerun";
  out.write(`${verb} ${plural(p.jobs.length, "job")}: ${listJobs(p.jobs, { states: true })}\n`);
  if (p.descendants.length > 0)
    out.write(
      `  and ${p.dryRun ? "would reset" : "reset"} ${plural(p.descendants.length, "descendant")} to WAITING (PAUSED and CANCELLED ones keep their state): ${listJobs(p.descendants)}\n`,
    );
  const resumes = p.resume.slice(0, 50);
  for (const r of resumes) {
    const how = `${safe(r.name)}#${r.jobId} resumes at task ${r.startTask} ${DIR_WORDS[r.dirMode]}`;
    out.write(
      r.from === "saved"
        ? `  ${how}: saved recovery of run ${r.fromRunId} (an earlier --task-level rerun); --clear-recovery starts it at task 0\n`
        : `  ${how} (--task-level${r.startTask > 0 ? `: the outputs of tasks 0–${r.startTask - 1} are kept` : ""})\n`,
    );
  }
  if (p.resume.length > resumes.length)
    out.write(`  … and ${p.resume.length - resumes.length} more resumes\n`);
  for (const c of p.cleared.slice(0, 50))
    out.write(
      `  ${safe(c.name)}#${c.jobId} starts again at task 0 (--clear-recovery forgets its saved resume at task ${c.savedTask})\n`,
    );
  if (p.resume.length === 0 && p.cleared.length === 0 && p.jobs.length > 0)
    out.write(`  ${p.jobs.length === 1 ? "it starts" : "they start"} at task 0 in a new launch directory\n`);
  for (const e of p.edits.slice(0, 50)) out.write(editLine(out, e, p.dryRun));
  printSkipped(out, p.skipped);
  printLive(out, p.live, p.dryRun ? (o.force ? "would stop" : "refused") : "stopped");
  for (const w of p.warnings) out.write(`${paint(out, "yellow", `  warning: ${w}`).text}\n`);
  printStopped(out, p.stopped);
  if (p.dryRun) out.write("(dry run: nothing changed)\n");
}
