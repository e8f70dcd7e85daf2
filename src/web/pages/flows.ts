/** The flows page: every flow with its state and counts; filters by state, name and time; paged. */
import { FLOW_STATES } from "../../model/states.ts";
import type { FlowSummary } from "../../model/types.ts";
import type { FlowQuery, Paged } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { badge, countsBar, pager, time } from "./parts.ts";

export const FLOWS_PAGE_SIZE = 50;

export function flowQueryFrom(params: URLSearchParams): FlowQuery {
  const q: FlowQuery = {
    offset: Math.max(0, Number(params.get("offset")) || 0),
    limit: FLOWS_PAGE_SIZE,
    states: params.getAll("state").filter(Boolean),
  };
  for (const k of ["name", "since", "until"] as const) {
    const v = params.get(k)?.trim();
    if (v) q[k] = v;
  }
  return q;
}

export function flowsBody(q: FlowQuery, table: Html): Html {
  const states = new Set(q.states ?? []);
  return html`<h1>Flows</h1>
<form class="filters" hx-get="/flows/table" hx-target="#flows" hx-swap="outerHTML" hx-push-url="false" hx-trigger="submit, change">
  <label>name (glob)<input type="text" name="name" value="${q.name ?? ""}" placeholder="relax-*"></label>
  <label>changed since<input type="text" name="since" value="${q.since ?? ""}" placeholder="2h, 1d, 2026-11-20"></label>
  <label>changed before<input type="text" name="until" value="${q.until ?? ""}"></label>
  <fieldset class="state-box" style="border:0;padding:0;margin:0;display:flex;gap:6px;flex-wrap:wrap">
    ${FLOW_STATES.map((s) => html`<label style="flex-direction:row;align-items:center;gap:3px"><input type="checkbox" name="state" value="${s}" ${states.has(s) ? "checked" : ""}>${badge(s)}</label>`)}
  </fieldset>
  <button type="submit" class="primary">Filter</button>
</form>
${table}`;
}

export function flowsTable(q: FlowQuery, page: Paged<FlowSummary>, params: URLSearchParams): Html {
  return html`<div id="flows" hx-get="/flows/table?${params}" hx-trigger="ferry:changed from:body" hx-swap="outerHTML">
<table>
<thead><tr><th class="num">ID</th><th>Name</th><th>State</th><th>Jobs</th><th class="num">Count</th><th>Created</th><th>Changed</th></tr></thead>
<tbody>
${page.items.map(
  (f) => html`<tr data-flow="${f.id}">
  <td class="num">${f.id}</td>
  <td><a href="/flows/${f.id}">${f.name}</a></td>
  <td>${badge(f.state)}</td>
  <td>${countsBar(f.counts, f.jobCount)}</td>
  <td class="num">${f.jobCount}</td>
  <td>${time(f.createdAt)}</td>
  <td>${time(f.updatedAt)}</td>
</tr>`,
)}
</tbody>
</table>
${page.items.length === 0 && q.offset === 0 ? html`<p class="muted">No flow matches. <code>ferry add flow.yaml</code> adds one.</p>` : ""}
${pager("/flows/table", params, q.offset, q.limit, page.items.length, page.more, "#flows")}
</div>`;
}
