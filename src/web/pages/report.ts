/**
 * The report: jobs completed and failed per interval as bars (started and cancelled in the
 * table), the success ratio, and the state counts of now — the numbers of `ferry report`.
 */
import type { Report as ReportData } from "../../api/report.ts";
import { STATE_COLORS } from "../client/colors.ts";
import { type Html, html } from "../html.ts";
import { countsBadges, time } from "./parts.ts";

function chart(r: ReportData): Html {
  const w = 860;
  const h = 240;
  const pad = { l: 40, r: 10, t: 14, b: 46 };
  const max = Math.max(1, ...r.rows.map((x) => Math.max(x.completed, x.failed)));
  const slot = (w - pad.l - pad.r) / Math.max(1, r.rows.length);
  const bar = Math.max(2, Math.min(28, slot / 2 - 4));
  const y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / max);
  const label = (ms: number) => (r.interval === "hours" ? time(ms).slice(11, 16) : time(ms).slice(5, 10));
  return html`<svg class="chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="completed and failed jobs per ${r.interval.replace(/s$/, "")}">
  <line x1="${pad.l}" y1="${y(0)}" x2="${w - pad.r}" y2="${y(0)}" stroke="#b4bcc6"/>
  <text x="${pad.l - 6}" y="${y(max) + 4}" text-anchor="end" font-size="11" fill="#4a525c">${max}</text>
  <text x="${pad.l - 6}" y="${y(0) + 4}" text-anchor="end" font-size="11" fill="#4a525c">0</text>
  ${r.rows.map((row, i) => {
    const x0 = pad.l + i * slot + slot / 2;
    return html`<g>
    <rect class="bar-completed" x="${x0 - bar - 1}" y="${y(row.completed)}" width="${bar}" height="${y(0) - y(row.completed)}" fill="${STATE_COLORS.COMPLETED}"><title>${row.completed} completed</title></rect>
    <rect class="bar-failed" x="${x0 + 1}" y="${y(row.failed)}" width="${bar}" height="${y(0) - y(row.failed)}" fill="${STATE_COLORS.FAILED}"><title>${row.failed} failed</title></rect>
    <text x="${x0}" y="${h - pad.b + 16}" text-anchor="middle" font-size="11" fill="#4a525c">${label(row.start)}</text>
    </g>`;
  })}
  <g font-size="12"><rect x="${pad.l}" y="${h - 18}" width="10" height="10" fill="${STATE_COLORS.COMPLETED}"/><text x="${pad.l + 14}" y="${h - 9}">completed</text>
  <rect x="${pad.l + 90}" y="${h - 18}" width="10" height="10" fill="${STATE_COLORS.FAILED}"/><text x="${pad.l + 104}" y="${h - 9}">failed</text></g>
</svg>`;
}

export function reportBody(r: ReportData, count: number): Html {
  return html`<h1>Report</h1>
<form class="filters" method="get" action="/report">
  <label>interval<select name="interval">${["hours", "days", "weeks"].map((i) => html`<option ${i === r.interval ? "selected" : ""}>${i}</option>`)}</select></label>
  <label>intervals<input type="text" name="count" value="${count}" size="4"></label>
  <button type="submit" class="primary">Show</button>
</form>
${chart(r)}
<table><thead><tr><th>From</th><th class="num">Started</th><th class="num">Completed</th><th class="num">Failed</th><th class="num">Cancelled</th><th class="num">Success</th></tr></thead>
<tbody>${r.rows.map((x) => html`<tr><td>${time(x.start)}</td><td class="num">${x.started}</td><td class="num">${x.completed}</td><td class="num">${x.failed}</td><td class="num">${x.cancelled}</td><td class="num">${x.successPercent === null ? "-" : `${x.successPercent}%`}</td></tr>`)}</tbody></table>
<h2>Jobs now</h2>
${countsBadges(r.now)}`;
}
