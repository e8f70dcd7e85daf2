/**
 * An action's report as the lines the CLI prints for it (`ferry rerun …`, `--dry-run` or not):
 * what changes (would change), descendants reset, where task-level reruns resume, what is
 * skipped and why, live runs, warnings. The web shows these in its confirmation and its result.
 */
import type { ChangeReport, RerunReport } from "../api/control.ts";

const list = (jobs: readonly { id: number; name: string }[]) =>
  jobs.map((j) => `${j.name}#${j.id}`).join(", ");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function rerunText(r: RerunReport): string {
  const lines: string[] = [];
  if (r.matched === 0) return "rerun: no jobs match\n";
  lines.push(
    `${r.dryRun ? "would rerun" : "rerun"} ${plural(r.jobs.length, "job")}: ${r.jobs.map((j) => `${j.name}#${j.id} (${j.state})`).join(", ")}`,
  );
  if (r.descendants.length > 0)
    lines.push(
      `  and reset ${plural(r.descendants.length, "descendant")} to WAITING: ${list(r.descendants)}`,
    );
  for (const x of r.resume)
    lines.push(
      `  job ${x.jobId} resumes at task ${x.startTask} (${x.dirMode === "fresh" ? "new directory" : x.dirMode === "copy" ? "copy of the previous directory" : "in the previous directory"})`,
    );
  for (const s of r.skipped) lines.push(`  skipped ${s.name}#${s.id}: ${s.reason}`);
  if (r.live.length > 0)
    lines.push(
      `  live runs ${r.dryRun ? "to stop (needs --force)" : "stopped"}: ${r.live.map((l) => `${l.job.name}#${l.job.id} run ${l.runId}`).join(", ")}`,
    );
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.dryRun) lines.push("(dry run: nothing changed)");
  return `${lines.join("\n")}\n`;
}

export function changeText(r: ChangeReport): string {
  if (r.matched === 0) return `${r.command}: no jobs match\n`;
  const lines = [
    `${r.command}${r.dryRun ? " --dry-run: would change" : ":"} ${plural(r.changed.length, "job")}${r.changed.length ? `: ${list(r.changed)}` : ""}${r.dryRun ? " (nothing changed)" : " changed"}`,
  ];
  for (const s of r.skipped) lines.push(`  skipped ${s.name}#${s.id}: ${s.reason}`);
  if (r.live.length > 0)
    lines.push(
      `  live runs ${r.dryRun ? "to stop" : "stopped"}: ${r.live.map((l) => `${l.job.name}#${l.job.id} run ${l.runId}`).join(", ")}`,
    );
  for (const p of r.stopped?.problems ?? []) lines.push(`  warning: ${p}`);
  return `${lines.join("\n")}\n`;
}
