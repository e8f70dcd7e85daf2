/** Small pieces every page uses: state badges, count bars, pagers, times, error boxes. */
import { type Html, html } from "../html.ts";

export function badge(state: string): Html {
  return html`<span class="badge s-${state}" data-state="${state}">${state}</span>`;
}

export function countsBadges(counts: Partial<Record<string, number>>): Html {
  const entries = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
  return html`<span class="counts">${entries.map(([s, n]) => html`<span class="badge s-${s}">${s} ${n}</span>`)}</span>`;
}

export function countsBar(counts: Partial<Record<string, number>>, total: number): Html {
  if (total === 0) return html`<span class="muted">no jobs</span>`;
  const entries = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
  return html`<span class="bar" title="${entries.map(([s, n]) => `${s} ${n}`).join(", ")}">${entries.map(
    ([s, n]) => html`<span class="s-${s}" style="width:${((100 * (n ?? 0)) / total).toFixed(2)}%"></span>`,
  )}</span>`;
}

export function time(ms: number | null): string {
  if (ms === null) return "-";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Links to the previous and next page, keeping every other query parameter. */
export function pager(
  base: string,
  params: URLSearchParams,
  offset: number,
  limit: number,
  shown: number,
  more: boolean,
  target: string,
): Html {
  const at = (o: number) => {
    const p = new URLSearchParams(params);
    p.set("offset", String(o));
    return `${base}?${p}`;
  };
  const last = offset + shown;
  return html`<div class="pager">
    <span>${shown === 0 ? (offset === 0 ? "none" : "no more") : `${offset + 1}–${last}${more ? "" : ` of ${last}`}`}</span>
    ${offset > 0 ? html`<button hx-get="${at(Math.max(0, offset - limit))}" hx-target="${target}" hx-swap="outerHTML">← previous</button>` : ""}
    ${more ? html`<button hx-get="${at(offset + limit)}" hx-target="${target}" hx-swap="outerHTML">next →</button>` : ""}
  </div>`;
}

export function errorBox(message: string): Html {
  return html`<div class="error" role="alert">${message}</div>`;
}
