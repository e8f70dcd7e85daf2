/** How jobs, flows and runs are shown on a terminal (--json prints the data as it is). */
import type { FlowDetails, JobDetails } from "../api/reads.ts";
import { outputSource } from "../api/reads.ts";
import type { FlowSummary, Job, Run } from "../model/types.ts";
import {
  ago,
  duration,
  fmt,
  LISTED,
  type Out,
  paint,
  paintState,
  plural,
  preview,
  Styled,
  safe,
  table,
  timestamp,
} from "./output.ts";

export function printFlows(out: Out, flows: readonly FlowSummary[]): void {
  if (flows.length === 0) {
    out.write("no flows\n");
    return;
  }
  out.write(
    table(
      ["ID", "NAME", "STATE", "JOBS", "PROGRESS", "LAST CHANGE"],
      flows.map((f) => [
        String(f.id),
        f.name,
        paintState(out, f.state),
        String(f.jobCount),
        joinStyled(
          Object.entries(f.counts).map(([s, n]) => paintState(out, s).text + `:${n}`),
          Object.entries(f.counts).reduce((w, [s, n]) => w + s.length + 1 + String(n).length, 0),
        ),
        ago(f.updatedAt),
      ]),
      out,
    ),
  );
}

/** Pieces already safe (and painted), joined by spaces, with their visible width. */
function joinStyled(parts: readonly string[], width: number): Styled {
  return new Styled(parts.join(" "), width + Math.max(0, parts.length - 1));
}

/** A job's outputs in a table cell; a replaced job points to the job its output comes from. */
function outputsPreview(j: Job): string {
  const source = outputSource(j);
  return source === null ? preview(j.outputs) : `→ ${source}`;
}

export function printJobs(out: Out, jobs: readonly Job[]): void {
  if (jobs.length === 0) {
    out.write("no jobs match\n");
    return;
  }
  out.write(
    table(
      ["ID", "FLOW", "NAME", "STATE", "WORKER", "PRIO", "UPDATED", "OUTPUTS"],
      jobs.map((j) => [
        String(j.id),
        String(j.flowId),
        j.name,
        paintState(out, j.state),
        j.worker ?? "-",
        String(j.priority),
        ago(j.updatedAt),
        outputsPreview(j),
      ]),
      out,
    ),
  );
}

/** A few names, then how many more: a fan-in of 10,000 parents fits a table cell. */
function names(list: readonly string[], max = 5): string {
  if (list.length <= max) return list.join(",") || "-";
  return `${list.slice(0, max).join(",")},… (+${list.length - max})`;
}

export function printFlow(out: Out, d: FlowDetails): void {
  const f = d.flow;
  out.write(
    fmt`flow ${f.id} "${f.name}" — ${paintState(out, f.state)}, ${plural(f.jobCount, "job")}, created ${timestamp(f.createdAt)}, last change ${ago(f.updatedAt)}\n`,
  );
  if (Object.keys(f.metadata).length > 0) out.write(`metadata: ${preview(f.metadata, 500)}\n`);
  const parents = new Map<number, number[]>();
  for (const [p, c] of d.edges) {
    const list = parents.get(c);
    if (list) list.push(p);
    else parents.set(c, [p]);
  }
  const byId = new Map(d.jobs.map((j) => [j.id, j.name]));
  out.write(
    table(
      ["ID", "NAME", "STATE", "PARENTS", "OUTPUTS"],
      d.jobs.map((j) => [
        String(j.id),
        j.name,
        paintState(out, j.state),
        names((parents.get(j.id) ?? []).map((p) => byId.get(p) ?? String(p))),
        outputsPreview(j),
      ]),
      out,
    ),
  );
}

/**
 * A run's duration at the precision it was measured: pull runs are timed by their launcher to
 * the millisecond; offline and managed runs by their wrapper's `date +%s`, to the second.
 */
function runDuration(r: Run): string {
  const ms = r.finishedAt! - r.startedAt!;
  if (r.mode === "pull") return duration(ms);
  const s = Math.round(ms / 1000);
  return s === 0 ? "under 1s" : s < 60 ? `${s}s` : duration(s * 1000);
}

function runLine(out: Out, r: Run): string {
  const took = r.startedAt !== null && r.finishedAt !== null ? ` in ${runDuration(r)}` : "";
  const arch = r.archived ? paint(out, "gray", " (archived)") : "";
  const forgotten = r.forgotten
    ? paint(out, "yellow", " (forgotten: offline recover no longer reads it)")
    : "";
  const where = `${r.worker ? ` on ${r.worker}` : ""}${r.host ? `@${r.host}` : ""}`;
  return (
    fmt`  run ${r.id} attempt ${r.attempt}: ${paintState(out, r.state)}${took}${arch}${forgotten} — ${r.mode}${where}\n` +
    fmt`    dir: ${r.launchDir ?? "-"}${r.schedulerId ? `  scheduler id: ${r.schedulerId}` : ""}\n`
  );
}

const taskLabel = (t: Job["tasks"][number]) =>
  t.kind === "sh"
    ? `sh(${preview(t.command, 50)})`
    : t.kind === "js"
      ? `js(${t.module}#${t.export})`
      : `py(${t.module ?? t.file}:${t.function})`;

export function printJob(out: Out, d: JobDetails): void {
  const j = d.job;
  const links = (list: JobDetails["parents"]) => {
    const shown = list.slice(0, LISTED).map((p) => fmt`${p.name}#${p.id} ${paintState(out, p.state)}`);
    const more =
      list.length > LISTED
        ? `, … and ${(list.length - LISTED).toLocaleString("en-US")} more (--json lists them all)`
        : "";
    return shown.join(", ") + more || "-";
  };
  out.write(
    fmt`job ${j.id} "${j.name}"${j.label ? ` (${j.label})` : ""} in flow ${j.flowId} — ${paintState(out, j.state)}\n`,
  );
  out.write(fmt`  tasks: ${j.tasks.map(taskLabel).join(", ")}\n`);
  out.write(`  parents: ${links(d.parents)}\n`);
  out.write(`  children: ${links(d.children)}\n`);
  out.write(`  inputs: ${preview(j.inputs, 2000)}\n`);
  const r = d.replacement;
  if (r === null) out.write(`  outputs: ${preview(j.outputs, 2000)}\n`);
  else {
    const from = fmt`replaced by job "${r.job}"${r.path ? ` at ${r.path}` : ""}`;
    out.write(
      "value" in r
        ? `  outputs (${from}): ${preview(r.value, 2000)}\n`
        : fmt`  outputs: ${new Styled(from, 0)}, not available yet (${r.pending})\n`,
    );
  }
  if (Object.keys(j.resources).length > 0) out.write(`  resources: ${preview(j.resources, 500)}\n`);
  if (j.worker || j.category)
    out.write(fmt`  worker: ${j.worker ?? "-"}  category: ${j.category ?? "-"}  priority: ${j.priority}\n`);
  if (Object.keys(j.metadata).length > 0) out.write(`  metadata: ${preview(j.metadata, 500)}\n`);
  if (j.recovery)
    out.write(
      `  recovery: a rerun resumes at task ${j.recovery.startTask} (${j.recovery.dirMode} dir; ferry rerun --clear-recovery starts at task 0)\n`,
    );
  for (const run of d.runs) {
    out.write(runLine(out, run));
    if (run.error) {
      out.write(`    ${paint(out, "red", `error: ${run.error.message.split("\n")[0]}`).text}\n`);
      const lines = [...run.error.message.split("\n").slice(1), ...(run.error.stack?.split("\n") ?? [])];
      for (const l of lines) out.write(`      ${safe(l)}\n`);
    }
    if (run.problem) out.write(`    ${paint(out, "yellow", `problem: ${run.problem}`).text}\n`);
  }
  out.write("  history:\n");
  for (const e of d.history)
    out.write(
      fmt`    ${timestamp(e.at)}  ${e.from ?? "·"} → ${paintState(out, e.to)}${e.reason ? `  (${e.reason})` : ""}\n`,
    );
}
