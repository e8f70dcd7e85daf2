/** Printers for the commands that change jobs, for lost runs and for the report. */
import type { ControlResult } from "../engine/control.ts";
import type { RerunPlan } from "../engine/rerun.ts";
import type { ChangeOutcome } from "./commands/change.ts";
import type { LostReport } from "./commands/lost.ts";
import type { Report } from "./commands/report.ts";
import { type Out, paint, paintState, table, timestamp } from "./output.ts";

function listSelected(out: Out, o: ChangeOutcome<unknown>): void {
  out.write(
    table(
      ["ID", "FLOW", "NAME", "STATE"],
      o.selected.map((s) => [String(s.id), String(s.flowId), s.name, paintState(out, s.state)]),
      out,
    ),
  );
}

function printStop(out: Out, r: ControlResult["stopped"]): void {
  if (!r) return;
  if (r.cancelled.length > 0)
    out.write(
      `stopped live runs: ${r.cancelled.join(", ")}${r.delegated.length ? ` (runs ${r.delegated.join(", ")} run on another host: their launcher stops them at its next beat)` : ""}\n`,
    );
  for (const p of r.problems) out.write(paint(out, "yellow", `warning: ${p}\n`));
}

export function printChange(
  out: Out,
  o: ChangeOutcome<ControlResult & { descendants?: { id: number; name: string }[]; removedDirs?: string[] }>,
): void {
  if (o.selected.length === 0) {
    out.write(`${o.command}: no jobs match\n`);
    return;
  }
  if (o.dryRun || !o.result) {
    out.write(
      `${o.command} --dry-run: would act on ${o.selected.length} job${o.selected.length === 1 ? "" : "s"} (nothing changed):\n`,
    );
    listSelected(out, o);
    return;
  }
  const r = o.result;
  out.write(
    `${o.command}: ${r.changed.length} job${r.changed.length === 1 ? "" : "s"} changed${r.changed.length ? `: ${r.changed.map((c) => `${c.name}#${c.id}`).join(", ")}` : ""}\n`,
  );
  if (r.descendants?.length)
    out.write(`  with descendants: ${r.descendants.map((c) => `${c.name}#${c.id}`).join(", ")}\n`);
  for (const s of r.skipped) out.write(paint(out, "gray", `  skipped ${s.name}#${s.id}: ${s.reason}\n`));
  if (r.removedDirs?.length)
    out.write(
      `  removed ${r.removedDirs.length} launch director${r.removedDirs.length === 1 ? "y" : "ies"}\n`,
    );
  printStop(out, r.stopped);
}

export function printRerun(
  out: Out,
  o: ChangeOutcome<RerunPlan & { stopped?: ControlResult["stopped"]; ready?: number[] }>,
): void {
  if (o.selected.length === 0) {
    out.write("rerun: no jobs match\n");
    return;
  }
  const p = o.result!;
  const verb = o.dryRun ? "would rerun" : "rerun";
  out.write(
    `${verb} ${p.jobs.length} job${p.jobs.length === 1 ? "" : "s"}: ${p.jobs.map((j) => `${j.name}#${j.id} (${j.state})`).join(", ")}\n`,
  );
  if (p.descendants.length > 0) {
    out.write(
      `  and reset ${p.descendants.length} descendant${p.descendants.length === 1 ? "" : "s"} to WAITING: ${p.descendants.map((j) => `${j.name}#${j.id}`).join(", ")}\n`,
    );
  }
  for (const r of p.resume)
    out.write(
      `  job ${r.jobId} resumes at task ${r.startTask} (${r.dirMode === "fresh" ? "new directory" : r.dirMode === "copy" ? "copy of the previous directory" : "in the previous directory"})\n`,
    );
  for (const s of p.skipped) out.write(paint(out, "gray", `  skipped ${s.name}#${s.id}: ${s.reason}\n`));
  if (p.live.length > 0)
    out.write(
      paint(
        out,
        "yellow",
        `  live runs ${o.dryRun ? "to stop (needs --force)" : "stopped"}: ${p.live.map((l) => `${l.job.name}#${l.job.id} run ${l.run.id}`).join(", ")}\n`,
      ),
    );
  for (const w of p.warnings) out.write(paint(out, "yellow", `  warning: ${w}\n`));
  printStop(out, p.stopped ?? null);
  if (o.dryRun) out.write("(dry run: nothing changed)\n");
}

export function printLost(out: Out, r: LostReport): void {
  for (const f of r.submissions.found)
    out.write(`job ${f.jobId}: run ${f.runId} left ${f.state} on ${f.worker} by a submit that stopped\n`);
  const a = r.submissions.adopted;
  if (a)
    out.write(
      `of those: ${a.collected.length} collected, ${a.started.length} running, ${a.found.length} found in the queue, ${a.released.length} back to READY, ${a.left.length} undecided\n`,
    );
  else if (r.submissions.found.length > 0)
    out.write("use --fail to settle them (nothing is submitted twice)\n");
  if (r.lost.length === 0) {
    out.write("no lost runs\n");
    return;
  }
  out.write(
    table(
      ["JOB", "NAME", "RUN", "MODE", "VERDICT", "TASK", "WHY"],
      r.lost.map((l) => [
        String(l.jobId),
        l.name,
        String(l.runId),
        l.mode,
        l.verdict,
        l.checkpointTask === null ? "-" : String(l.checkpointTask),
        l.why,
      ]),
      out,
    ),
  );
  if (r.handled.collected.length)
    out.write(`collected the results of jobs ${r.handled.collected.join(", ")} (they had finished)\n`);
  if (r.handled.failed.length) out.write(`marked jobs ${r.handled.failed.join(", ")} FAILED (lost)\n`);
  if (r.handled.rerun) out.write(`rerun jobs ${r.handled.rerun.jobs.map((j) => j.id).join(", ")}\n`);
  const left = r.lost.filter((l) => l.verdict === "lost").length;
  if (left > 0 && !r.handled.failed.length)
    out.write("use --fail to fail them, or --rerun to run them again\n");
}

export function printReport(out: Out, r: Report): void {
  out.write(
    table(
      ["FROM", "TO", "STARTED", "COMPLETED", "FAILED", "CANCELLED", "SUCCESS"],
      r.rows.map((x) => [
        timestamp(x.start),
        timestamp(x.end),
        String(x.started),
        String(x.completed),
        String(x.failed),
        String(x.cancelled),
        x.successPercent === null ? "-" : `${x.successPercent}%`,
      ]),
      out,
    ),
  );
  out.write(
    `now: ${
      Object.entries(r.now)
        .map(([s, n]) => `${paintState(out, s)} ${n}`)
        .join(", ") || "no jobs"
    }\n`,
  );
}
