/**
 * The job table: the CLI's selectors as a form, one page of jobs with a checkbox each, and the
 * actions for the checked jobs or for every job the selectors match.
 */
import { JOB_STATES } from "../../model/states.ts";
import type { Job } from "../../model/types.ts";
import { ACTIONS, type Paged, type SelectorText } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { badge, pager, time } from "./parts.ts";

export const JOBS_PAGE_SIZE = 50;

const TEXT_FIELDS = ["id", "name", "worker", "since", "until", "query"] as const;

/** Selectors from a query string or a form: the same names and forms as the CLI's flags. */
export function selectorsFrom(
  get: (k: string) => string | undefined,
  getAll: (k: string) => string[],
): SelectorText {
  const s: SelectorText = {};
  const list = (k: string) =>
    getAll(k)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter(Boolean);
  const id = list("id");
  if (id.length) s.id = id;
  const name = list("name");
  if (name.length) s.name = name;
  const state = list("state");
  if (state.length) s.state = state;
  const flow = list("flow");
  if (flow.length) s.flow = flow;
  const worker = list("worker");
  if (worker.length) s.worker = worker;
  for (const k of ["since", "until", "query"] as const) {
    const v = get(k)?.trim();
    if (v) s[k] = v;
  }
  if (get("runs") === "1" || get("runs") === "on") s.runs = true;
  return s;
}

/** The selectors as query parameters (for paging links and for "every matching job"). */
export function selectorParams(s: SelectorText): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of ["id", "name", "state", "flow", "worker"] as const)
    for (const v of s[k] ?? []) p.append(k, v);
  for (const k of ["since", "until", "query"] as const) if (s[k]) p.set(k, s[k]!);
  if (s.runs) p.set("runs", "1");
  return p;
}

export function selectorForm(base: string, s: SelectorText): Html {
  const states = new Set(s.state ?? []);
  return html`<form class="filters" hx-get="${base}" hx-target="#jobs" hx-swap="outerHTML">
  ${TEXT_FIELDS.map(
    (k) =>
      html`<label>--${k}<input type="text" name="${k}" value="${k === "id" || k === "name" || k === "worker" ? (s[k] ?? []).join(",") : (s[k] ?? "")}" ${k === "query" ? html`placeholder='{"inputs.n": {"$gt": 3}}' size="28"` : ""}></label>`,
  )}
  <label>--runs<input type="checkbox" name="runs" value="1" ${s.runs ? "checked" : ""}></label>
  <fieldset style="border:0;padding:0;margin:0;display:flex;gap:4px;flex-wrap:wrap">
    ${JOB_STATES.map((st) => html`<label style="flex-direction:row;align-items:center;gap:2px"><input type="checkbox" name="state" value="${st}" ${states.has(st) ? "checked" : ""}>${badge(st)}</label>`)}
  </fieldset>
  <button type="submit" class="primary">Select</button>
</form>`;
}

export function actionButtons(): Html {
  return html`${ACTIONS.map((a) => html`<button type="submit" name="action" value="${a}">${a}</button>`)}
  <label title="rerun: resume at the task that failed"><input type="checkbox" name="taskLevel" value="1"> task level</label>`;
}

export function jobsTable(
  base: string,
  s: SelectorText,
  page: Paged<Job>,
  offset: number,
  limit: number,
): Html {
  const params = selectorParams(s);
  return html`<div id="jobs" hx-get="${base}?${params}&offset=${offset}" hx-trigger="ferry:refresh from:body" hx-swap="outerHTML">
<form hx-post="/actions/preview" hx-target="#dialog" class="job-actions">
  ${[...params].map(([k, v]) => html`<input type="hidden" name="f_${k}" value="${v}">`)}
  <div class="actions">
    <select name="scope" aria-label="which jobs">
      <option value="checked">the checked jobs</option>
      <option value="matching">every job the selectors match</option>
    </select>
    ${actionButtons()}
  </div>
  <table class="jobs">
  <thead><tr><th><input type="checkbox" class="check-all" aria-label="check all"></th><th class="num">ID</th><th>Name</th><th>State</th><th>Worker</th><th class="num">Priority</th><th>Changed</th></tr></thead>
  <tbody>
  ${page.items.map(
    (j) => html`<tr data-job="${j.id}">
    <td><input type="checkbox" name="id" value="${j.id}" aria-label="job ${j.id}"></td>
    <td class="num"><a href="/jobs/${j.id}">${j.id}</a></td>
    <td><a href="/jobs/${j.id}">${j.name}</a></td>
    <td class="state-cell">${badge(j.state)}</td>
    <td>${j.worker ?? "-"}</td>
    <td class="num">${j.priority}</td>
    <td>${time(j.updatedAt)}</td>
  </tr>`,
  )}
  </tbody>
  </table>
</form>
${pager(base, params, offset, limit, page.items.length, page.more, "#jobs")}
</div>`;
}
