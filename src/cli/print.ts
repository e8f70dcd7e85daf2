/** How each command's data is shown on a terminal (--json prints the data as it is). */
import type { AddedFlow } from "../engine/add-flow.ts";
import { replacedBy } from "../engine/resolve.ts";
import { formatReference, parsePath } from "../flow/references.ts";
import type { LaunchSummary } from "../launcher/launch.ts";
import type { FlowSummary, Job, Run } from "../model/types.ts";
import type { DemoResult } from "./commands/demo.ts";
import type { FlowDetails } from "./commands/flows.ts";
import type { JobDetails } from "./commands/jobs.ts";
import { ago, duration, type Out, paint, paintState, preview, table, timestamp } from "./output.ts";

/** Job ids are listed up to this many per flow; a 100,000-job flow gets the ids' range instead. */
const LISTED_IDS = 20;

export function printAdded(out: Out, added: readonly AddedFlow[]): void {
  for (const a of added) {
    const ids = Object.entries(a.jobIds);
    const head = `added flow ${a.flowId} "${a.name}" with ${ids.length} job${ids.length === 1 ? "" : "s"}`;
    if (ids.length <= LISTED_IDS) {
      out.write(`${head}: ${ids.map(([n, id]) => `${n}=${id}`).join(" ")}\n`);
      continue;
    }
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    for (const [, id] of ids) {
      low = Math.min(low, id);
      high = Math.max(high, id);
    }
    // another process adding at the same time may interleave ids: then say only where they start
    const range = high - low + 1 === ids.length ? `ids ${low}–${high}` : `ids from ${low}`;
    out.write(`${head}, ${range} (ferry jobs list --flow ${a.flowId}; --json lists every id)\n`);
  }
}

export function printFlows(out: Out, flows: readonly FlowSummary[]): void {
  if (flows.length === 0) {
    out.write("no flows\n");
    return;
  }
  out.write(
    table(
      ["ID", "NAME", "STATE", "JOBS", "PROGRESS", "UPDATED"],
      flows.map((f) => [
        String(f.id),
        f.name,
        paintState(out, f.state),
        String(f.jobCount),
        Object.entries(f.counts)
          .map(([s, n]) => `${paintState(out, s)}:${n}`)
          .join(" "),
        ago(f.updatedAt),
      ]),
      out,
    ),
  );
}

/** A job's outputs in a table cell; a replaced job points to the job its output comes from. */
function outputsPreview(j: Job): string {
  const marker = j.state === "COMPLETED" ? replacedBy(j.outputs) : null;
  if (!marker) return preview(j.outputs);
  return `→ ${formatReference({ job: marker.job, path: parsePath(marker.path) })}`;
}

export function jobRows(out: Out, jobs: readonly Job[]): string[][] {
  return jobs.map((j) => [
    String(j.id),
    String(j.flowId),
    j.name,
    paintState(out, j.state),
    j.worker ?? "-",
    String(j.priority),
    ago(j.updatedAt),
    outputsPreview(j),
  ]);
}

export function printJobs(out: Out, jobs: readonly Job[]): void {
  if (jobs.length === 0) {
    out.write("no jobs match\n");
    return;
  }
  out.write(
    table(["ID", "FLOW", "NAME", "STATE", "WORKER", "PRIO", "UPDATED", "OUTPUTS"], jobRows(out, jobs), out),
  );
}

export function printFlow(out: Out, d: FlowDetails): void {
  const f = d.flow;
  out.write(
    `flow ${f.id} "${f.name}" — ${paintState(out, f.state)}, ${f.jobCount} jobs, created ${timestamp(f.createdAt)}\n`,
  );
  if (Object.keys(f.metadata).length > 0) out.write(`metadata: ${JSON.stringify(f.metadata)}\n`);
  const parents = new Map<number, number[]>();
  for (const [p, c] of d.edges) parents.set(c, [...(parents.get(c) ?? []), p]);
  const names = new Map(d.jobs.map((j) => [j.id, j.name]));
  out.write(
    table(
      ["ID", "NAME", "STATE", "PARENTS", "OUTPUTS"],
      d.jobs.map((j) => [
        String(j.id),
        j.name,
        paintState(out, j.state),
        (parents.get(j.id) ?? []).map((p) => names.get(p) ?? p).join(",") || "-",
        outputsPreview(j),
      ]),
      out,
    ),
  );
}

function runLine(out: Out, r: Run): string {
  const took = r.startedAt && r.finishedAt ? ` in ${duration(r.finishedAt - r.startedAt)}` : "";
  const arch = r.archived
    ? paint(out, "gray", " (archived)")
    : r.forgotten
      ? paint(out, "yellow", " (forgotten: recover no longer follows it)")
      : "";
  return `  run ${r.id} attempt ${r.attempt}: ${paintState(out, r.state)}${took}${arch} — ${r.mode}${r.worker ? ` on ${r.worker}` : ""}${r.host ? `@${r.host}` : ""}\n    dir: ${r.launchDir ?? "-"}${r.schedulerId ? `  scheduler id: ${r.schedulerId}` : ""}\n`;
}

export function printJob(out: Out, d: JobDetails): void {
  const j = d.job;
  out.write(`job ${j.id} "${j.name}" in flow ${j.flowId} — ${paintState(out, j.state)}\n`);
  out.write(
    `  tasks: ${j.tasks.map((t) => (t.kind === "sh" ? `sh(${preview(t.command, 50)})` : `js(${t.module}#${t.export})`)).join(", ")}\n`,
  );
  out.write(
    `  parents: ${d.parents.map((p) => `${p.name}#${p.id} ${paintState(out, p.state)}`).join(", ") || "-"}\n`,
  );
  out.write(
    `  children: ${d.children.map((p) => `${p.name}#${p.id} ${paintState(out, p.state)}`).join(", ") || "-"}\n`,
  );
  out.write(`  inputs: ${JSON.stringify(j.inputs)}\n`);
  const r = d.replacement;
  if (r === null) out.write(`  outputs: ${JSON.stringify(j.outputs)}\n`);
  else {
    const from = `replaced by job "${r.job}"${r.path ? ` at ${r.path}` : ""}`;
    out.write(
      "value" in r
        ? `  outputs (${from}): ${JSON.stringify(r.value)}\n`
        : `  outputs: ${from}, not available yet (${r.pending})\n`,
    );
  }
  if (Object.keys(j.resources).length > 0) out.write(`  resources: ${JSON.stringify(j.resources)}\n`);
  if (j.worker || j.category)
    out.write(`  worker: ${j.worker ?? "-"}  category: ${j.category ?? "-"}  priority: ${j.priority}\n`);
  if (j.recovery)
    out.write(`  recovery: resume at task ${j.recovery.startTask} (${j.recovery.dirMode} dir)\n`);
  for (const r of d.runs) {
    out.write(runLine(out, r));
    if (r.error) {
      out.write(paint(out, "red", `    error: ${r.error.message}\n`));
      if (r.error.stack)
        out.write(
          `${r.error.stack
            .split("\n")
            .map((l) => `      ${l}`)
            .join("\n")}\n`,
        );
    }
  }
  out.write("  history:\n");
  for (const e of d.events)
    out.write(
      `    ${timestamp(e.at)}  ${e.from ?? "·"} → ${paintState(out, e.to)}${e.reason ? `  (${e.reason})` : ""}\n`,
    );
}

export function printLaunch(out: Out, s: LaunchSummary): void {
  for (const a of s.abandoned)
    out.write(
      `found job ${a.jobId} ${a.name} (run ${a.runId}) abandoned: ${a.why} — ${a.found === "lost" ? "no result: FAILED as lost" : `its result collected: ${a.state}`}\n`,
    );
  out.write(
    `launched ${s.claimed} job${s.claimed === 1 ? "" : "s"}: ${s.completed} completed, ${s.failed} failed${s.interrupted ? `, ${s.interrupted} interrupted` : ""}${s.abandoned.length ? `; ${s.recovered} abandoned run${s.recovered === 1 ? "" : "s"} recovered, ${s.lost} lost` : ""}\n`,
  );
}

export function printDemo(out: Out, d: DemoResult): void {
  printJobs(out, d.jobs);
  const value = d.pi === null ? "none" : String(d.pi);
  out.write(
    `\n${paint(out, "bold", "final value")}: pi ≈ ${value}  (expected ${d.expectedPi}; ${d.jobs.length} jobs in ${d.seconds.toFixed(1)} s)\n`,
  );
  out.write(
    d.ok
      ? paint(out, "green", "demo OK: every job COMPLETED and the value is right\n")
      : paint(out, "red", "demo FAILED\n"),
  );
}
