/** A flow: its state and counts, its graph on a canvas, actions on the whole flow, the job table. */
import type { FlowSummary } from "../../model/types.ts";
import { STATE_COLORS } from "../client/colors.ts";
import { type Html, html } from "../html.ts";
import { badge, countsBadges, time } from "./parts.ts";

export function flowSummary(f: FlowSummary): Html {
  return html`<div id="flow-summary" hx-get="/flows/${f.id}/summary" hx-trigger="ferry:changed from:body" hx-swap="outerHTML">
  <h1>${f.name} <span class="muted">#${f.id}</span> ${badge(f.state)}</h1>
  <div class="muted">${f.jobCount} jobs · created ${time(f.createdAt)} · changed ${time(f.updatedAt)}</div>
  ${countsBadges(f.counts)}
</div>`;
}

/** One button per action on every job of the flow; each opens the dry-run preview first. */
function flowActions(id: number): Html {
  const one = (label: string, action: string, extra = "", cls = "") =>
    html`<form hx-post="/actions/preview" hx-target="#dialog" style="display:inline">
      <input type="hidden" name="scope" value="matching"><input type="hidden" name="f_flow" value="${id}">
      ${extra ? html`<input type="hidden" name="f_state" value="${extra}">` : ""}
      <button type="submit" name="action" value="${action}" class="${cls}">${label}</button></form>`;
  return html`<div class="actions"><span class="muted">whole flow:</span>
    ${one("rerun failed", "rerun", "FAILED")}${one("rerun all", "rerun")}${one("pause", "pause")}${one("resume", "resume")}${one("retry held", "retry", "HELD")}${one("cancel", "cancel", "", "danger")}
  </div>`;
}

export function flowBody(f: FlowSummary, jobs: Html, selectors: Html, expand: boolean): Html {
  return html`${flowSummary(f)}
${flowActions(f.id)}
<div class="graph-box" id="graph" data-graph="/flows/${f.id}/graph.json${expand ? "?expand=1" : ""}" data-flow="${f.id}">
  <canvas aria-label="flow graph: click a job to open it"></canvas>
  <div class="graph-tools">
    <button type="button" data-zoom="in" title="zoom in">+</button>
    <button type="button" data-zoom="out" title="zoom out">−</button>
    <button type="button" data-zoom="fit" title="fit the whole flow">fit</button>
    ${expand ? html`<a class="button" href="/flows/${f.id}">collapse groups</a>` : html`<a class="button" href="/flows/${f.id}?expand=1">expand groups</a>`}
  </div>
  <div class="graph-info">loading graph…</div>
</div>
<div class="legend">${Object.keys(STATE_COLORS).map((s) => badge(s))}</div>
<h2>Jobs</h2>
${selectors}
${jobs}`;
}
