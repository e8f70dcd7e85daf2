/**
 * A job: what it is (tasks, inputs, resources), what it produced (outputs, a slice at a time),
 * each run with its error and stderr tail, its state history, its logs (followed live while it
 * runs), and the actions on this one job.
 */
import type { Run } from "../../model/types.ts";
import type { JobDetails } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { actionButtons } from "./jobs-table.ts";
import { jsonView } from "./json-view.ts";
import { badge, duration, time } from "./parts.ts";

const links = (list: JobDetails["parents"]) =>
  list.length === 0
    ? html`<span class="muted">none</span>`
    : list.map((j) => html`<a href="/jobs/${j.id}">${j.name}#${j.id}</a> ${badge(j.state)} `);

function runRow(r: Run): Html {
  const took = r.startedAt !== null && r.finishedAt !== null ? r.finishedAt - r.startedAt : null;
  return html`<tr class="${r.archived ? "muted" : ""}">
  <td class="num">${r.id}</td><td class="num">${r.attempt}</td><td>${badge(r.state)}${r.archived ? " (archived)" : ""}</td>
  <td>${r.mode}</td><td>${r.worker ?? "-"}</td><td>${r.host ?? "-"}</td><td>${r.schedulerId ?? "-"}</td>
  <td>${time(r.startedAt)}</td><td>${duration(took)}</td><td class="num">${r.exitCode ?? "-"}</td>
  <td><code>${r.launchDir ?? "-"}</code></td>
</tr>
${
  r.error
    ? html`<tr><td></td><td colspan="10"><div class="error">${r.error.reason}: ${r.error.message}${r.error.signal ? ` (signal ${r.error.signal})` : ""}${r.error.task !== null ? ` in task ${r.error.task}` : ""}</div>
  ${r.error.stack ? html`<details open><summary>stderr tail / stack</summary><pre>${r.error.stack}</pre></details>` : ""}</td></tr>`
    : ""
}${r.problem ? html`<tr><td></td><td colspan="10" class="muted">recovery problem (${r.problemCount}×): ${r.problem}</td></tr>` : ""}`;
}

export function jobBody(d: JobDetails, texts: { inputs: string; outputs: string }): Html {
  const j = d.job;
  const latest = d.runs.filter((r) => !r.archived).at(-1) ?? d.runs.at(-1);
  return html`<h1>${j.name} <span class="muted">#${j.id}</span> <span id="job-state" data-job="${j.id}">${badge(j.state)}</span></h1>
<div class="muted">flow <a href="/flows/${j.flowId}">#${j.flowId}</a> · created ${time(j.createdAt)} · changed ${time(j.updatedAt)}</div>
<form hx-post="/actions/preview" hx-target="#dialog" class="actions">
  <input type="hidden" name="scope" value="checked"><input type="hidden" name="id" value="${j.id}">
  ${actionButtons()}
</form>
<dl class="kv">
  <dt>state</dt><dd>${badge(j.state)}${j.heldFrom ? ` (held from ${j.heldFrom})` : ""}</dd>
  <dt>worker</dt><dd>${j.worker ?? "any"}${j.category ? ` · category ${j.category}` : ""} · priority ${j.priority}</dd>
  <dt>parents</dt><dd>${links(d.parents)}</dd>
  <dt>children</dt><dd>${links(d.children)}</dd>
  <dt>launch directory</dt><dd><code id="launch-dir">${latest?.launchDir ?? "-"}</code></dd>
  <dt>resources</dt><dd><code>${JSON.stringify(j.resources)}</code></dd>
  <dt>tasks</dt><dd>${j.tasks.map((t, i) => html`<div><span class="muted">${i}</span> <code>${t.kind === "sh" ? t.command : t.kind === "js" ? `${t.module}#${t.export}` : `${t.module ?? t.file}:${t.function}`}</code></div>`)}</dd>
  ${j.recovery ? html`<dt>recovery</dt><dd>resumes at task ${j.recovery.startTask} (${j.recovery.dirMode})</dd>` : ""}
</dl>
<h2>Inputs</h2>
${jsonView("inputs", texts.inputs, `/jobs/${j.id}/data/inputs`)}
<h2>Outputs</h2>
${jsonView("outputs", texts.outputs, `/jobs/${j.id}/data/outputs`)}
<h2>Runs</h2>
${
  d.runs.length === 0
    ? html`<p class="muted">not run yet</p>`
    : html`<table><thead><tr><th class="num">Run</th><th class="num">Try</th><th>State</th><th>Mode</th><th>Worker</th><th>Host</th><th>Scheduler id</th><th>Started</th><th>Took</th><th class="num">Exit</th><th>Launch directory</th></tr></thead>
<tbody>${d.runs.map(runRow)}</tbody></table>`
}
<h2>Logs</h2>
${latest ? html`<pre id="log" data-log="/jobs/${j.id}/logs" aria-live="polite"></pre>` : html`<p class="muted">no run yet</p>`}
<h2>State history</h2>
<table><thead><tr><th>At</th><th>From</th><th>To</th><th class="num">Run</th><th>Reason</th></tr></thead>
<tbody>${d.events.map((e) => html`<tr><td>${time(e.at)}</td><td>${e.from ? badge(e.from) : "-"}</td><td>${badge(e.to)}</td><td class="num">${e.runId ?? "-"}</td><td>${e.reason ?? ""}</td></tr>`)}</tbody></table>`;
}
