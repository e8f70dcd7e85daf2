/**
 * The runner panel of the Workers page: each runner of the project (host, pid, started, heartbeat
 * age, stop requested) and each managed worker as the runner sees it (who holds it, ok / backoff /
 * unreachable / needs-login, last error, next cycle, queued and running), with what to do when a
 * worker needs a login. The same facts as `ferry runner status`; the stop button asks first.
 */
import type { RunnerStatus } from "../backend.ts";
import { type Html, html } from "../html.ts";
import { time } from "./parts.ts";

/** The panel refreshes itself this often, for the heartbeat ages (a heartbeat changes no job). */
export const RUNNER_REFRESH_SECONDS = 5;

/** A last error longer than this is cut on the page; the whole text is in its title. */
const MAX_ERROR_CHARS = 300;

/** How long ago, as `ferry runner status` prints it. */
function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function nextCycle(runner: string | null, at: number | null, now: number): string {
  if (runner === null || at === null) return "-";
  return at <= now ? "now" : `in ${Math.ceil((at - now) / 1000)} s`;
}

function lastError(text: string | null): Html | string {
  if (text === null || text === "") return "";
  if (text.length <= MAX_ERROR_CHARS) return html`<span class="last-error">${text}</span>`;
  return html`<span class="last-error" title="${text}">${text.slice(0, MAX_ERROR_CHARS)}…</span>`;
}

export function runnerPanel(s: RunnerStatus, now = Date.now()): Html {
  const live = s.runners.filter((r) => r.live);
  const stale = s.runners.filter((r) => !r.live);
  const byId = new Map(s.runners.map((r) => [r.id, r]));
  const needLogin = s.workers.filter((w) => w.state === "needs-login");
  const intro =
    live.length > 0
      ? ""
      : s.workers.length === 0
        ? html`<p class="no-runner">No runner is running. This project has no managed worker (<code>mode: managed</code>), so a runner would have nothing to drive.</p>`
        : html`<p class="no-runner">No runner is running for this project: jobs for its managed workers wait until one is started with <code>ferry runner start</code>.</p>`;
  const runners =
    s.runners.length === 0
      ? ""
      : html`<table class="runners">
<thead><tr><th>Runner</th><th>Host</th><th class="num">PID</th><th>Started</th><th>Last heartbeat</th><th>Stop requested</th></tr></thead>
<tbody>${[...live, ...stale].map(
          (
            r,
          ) => html`<tr data-runner="${r.id}" class="${r.live ? "" : "stale"}"><td>${r.id}</td><td>${r.host}</td>
<td class="num">${r.pid}</td><td>${time(r.startedAt)}</td>
<td class="heartbeat">${ago(r.heartbeatAt, now)}${r.live ? "" : html` <span class="rs rs-unreachable">not running (heartbeat stale)</span>`}</td>
<td class="stop-requested">${r.stopRequested ? html`<span class="rs rs-backoff">yes: stopping after the step in progress</span>` : "no"}</td></tr>`,
        )}</tbody></table>`;
  // hx-swap is said again: the panel's own outerHTML swap is inherited and would replace the dialog
  const stopButton =
    live.some((r) => !r.stopRequested) &&
    html`<form hx-post="/runner/stop/preview" hx-target="#dialog" hx-swap="innerHTML" class="actions">
<button type="submit" class="danger stop-runner">Stop runner…</button>
<span class="muted">as <code>ferry runner stop</code>: asks first</span></form>`;
  const workers =
    s.workers.length === 0
      ? ""
      : html`<table class="runner-workers">
<thead><tr><th>Managed worker</th><th>Host</th><th>Held by</th><th>State</th><th class="num">Queued</th><th class="num">Running</th><th>Next cycle</th><th>Last error</th></tr></thead>
<tbody>${s.workers.map((w) => {
          const holder = w.runner === null ? undefined : byId.get(w.runner);
          return html`<tr data-runner-worker="${w.worker}"><td>${w.worker}</td><td>${w.host ?? "(local)"}</td>
<td class="holder">${holder ? `pid ${holder.pid} on ${holder.host}` : (w.runner ?? "-")}</td>
<td><span class="rs rs-${w.state}" data-runner-state="${w.state}">${w.state}</span></td>
<td class="num queued">${w.queued}</td><td class="num running">${w.running}</td>
<td class="next-cycle">${nextCycle(w.runner, w.nextCycleAt, now)}</td><td>${lastError(w.lastError)}</td></tr>`;
        })}</tbody></table>`;
  const login = needLogin.map(
    (w) => html`<div class="needs-login" role="alert" data-needs-login="${w.worker}">
<strong>Worker ${w.worker} needs a login.</strong> Its ssh host${w.host ? html` <code>${w.host}</code>` : ""} asked a question (a password or a one-time code) that a runner without a terminal cannot answer; its claimed jobs are held.
In a terminal, ${live.length > 0 ? html`stop the runner (<code>ferry runner stop --wait</code>), then ` : ""}run <code>ferry runner start</code>: it logs in first, answering the prompt at that terminal, then detaches and reuses the connection (or run <code>ferry runner start --foreground</code> in a terminal you keep open).
</div>`,
  );
  return html`<div id="runner-state" hx-get="/workers/runner" hx-trigger="ferry:changed from:body, ferry:refresh from:body, every ${RUNNER_REFRESH_SECONDS}s" hx-swap="outerHTML">
${intro}${login}${runners}${stopButton || ""}${workers}
</div>`;
}

/** The confirmation before the stop flag is set: which runners it would reach. */
export function stopPreviewDialog(s: RunnerStatus, now = Date.now()): Html {
  const live = s.runners.filter((r) => r.live);
  const n = live.length;
  return html`<form hx-post="/runner/stop/apply" hx-target="#dialog" class="confirm">
  <h2>stop runner: ${n === 0 ? "no runner is running" : `${n} runner${n === 1 ? "" : "s"} would be asked to stop`}</h2>
  <p class="muted">This is what <code>ferry runner stop</code> does: it sets the stop flag; each runner stops after the step in progress. Nothing has changed yet.</p>
  <pre class="preview">${live.map((r) => `${r.id}: pid ${r.pid} on ${r.host}, heartbeat ${ago(r.heartbeatAt, now)}${r.stopRequested ? " (already stopping)" : ""}\n`)}</pre>
  <div class="actions">
    ${n > 0 ? html`<button type="submit" class="primary confirm-button">Confirm: stop ${n} runner${n === 1 ? "" : "s"}</button>` : ""}
    <button type="button" class="close-dialog">${n > 0 ? "Cancel" : "Close"}</button>
  </div>
</form>`;
}

export function stopOutcomeDialog(asked: number): Html {
  return html`<div class="outcome">
  <h2>stop runner: ${asked === 0 ? "no runner is running for this project" : `asked ${asked} runner(s) to stop`}</h2>
  <p>${asked === 0 ? "" : "They stop after the step in progress; the panel shows them until they have."}</p>
  <div class="actions"><button type="button" class="close-dialog primary">Close</button></div>
</div>`;
}
