/** Workers: how many jobs each one has queued and running now, and the runner's state (runner.ts). */
import type { RunnerStatus, WorkerLoad } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { runnerPanel } from "./runner.ts";

export function workersBody(list: readonly WorkerLoad[], runner: RunnerStatus): Html {
  return html`<h1>Workers</h1>
<div id="workers" hx-get="/workers/table" hx-trigger="ferry:changed from:body" hx-swap="outerHTML">${workersTable(list)}</div>
<h2>Runner</h2>
${runnerPanel(runner)}`;
}

export function workersTable(list: readonly WorkerLoad[]): Html {
  return html`<table>
<thead><tr><th>Worker</th><th>Mode</th><th>Scheduler</th><th class="num">Ready (pinned here)</th><th class="num">Queued</th><th class="num">Running</th></tr></thead>
<tbody>${list.map(
    (w) => html`<tr data-worker="${w.name}"><td>${w.name}</td><td>${w.mode}</td><td>${w.scheduler}</td>
<td class="num">${w.ready}</td><td class="num queued">${w.queued}</td><td class="num running">${w.running}</td></tr>`,
  )}</tbody></table>`;
}
