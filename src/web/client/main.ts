/**
 * The dashboard's one client module: the flow graph, live state changes (server-sent events),
 * a running job's log, and the confirmation dialog. Everything else is server-rendered HTML that
 * htmx swaps. Timings of the graph are kept on `window.ferryTimings` for the tests and for anyone
 * who wonders why a page is slow.
 */
import { DagView, type GraphJson } from "./dag.ts";

declare global {
  interface Window {
    ferryTimings: Record<string, number>;
    ferryGraph?: DagView;
    htmx?: { ajax(verb: string, url: string, o: { target: string; swap: string }): Promise<void> };
  }
}

window.ferryTimings = {};

/** Text of a state badge, as the server renders it (pages/parts.ts). */
function setBadge(el: Element, state: string): void {
  el.className = `badge s-${state}`;
  el.setAttribute("data-state", state);
  el.textContent = state;
}

function startGraph(box: HTMLElement): void {
  const canvas = box.querySelector("canvas")!;
  const info = box.querySelector(".graph-info") as HTMLElement;
  const t0 = performance.now();
  fetch(box.dataset.graph!, { credentials: "same-origin" })
    .then(async (r) => {
      const g = (await r.json()) as GraphJson & { error?: string };
      if (!r.ok) throw new Error(g.error ?? `HTTP ${r.status}`);
      const t1 = performance.now();
      const summary = `${g.job.length} nodes · ${g.edges.length / 2} edges${g.groups.length ? ` · ${g.groups.length} collapsed groups` : ""}`;
      const flowId = box.dataset.flow!;
      const view = new DagView(canvas, g, {
        open: (id) => {
          window.location.href = `/jobs/${id}`;
        },
        group: (members, label) => {
          const url =
            members.length <= 1000
              ? `/flows/${flowId}/jobs?id=${members.join(",")}`
              : `/flows/${flowId}/jobs?name=${encodeURIComponent(label.replace(/ ×\d+$/, ""))}`;
          void window.htmx?.ajax("GET", url, { target: "#jobs", swap: "outerHTML" });
        },
        hover: (text) => {
          info.textContent = text || summary;
        },
      });
      window.ferryGraph = view;
      view.fit();
      info.textContent = summary;
      window.ferryTimings.graphFetchMs = t1 - t0;
      window.ferryTimings.graphDrawMs = view.lastDrawMs;
      window.ferryTimings.graphReadyMs = performance.now();
      window.ferryTimings.layoutMs = g.layoutMs;
      box.dataset.ready = "1";
      for (const b of box.querySelectorAll<HTMLButtonElement>("[data-zoom]"))
        b.addEventListener("click", () => {
          const z = b.dataset.zoom;
          if (z === "fit") view.fit();
          else view.zoom(z === "in" ? 1.5 : 1 / 1.5);
        });
      new ResizeObserver(() => view.request()).observe(canvas);
    })
    .catch((e: Error) => {
      info.textContent = `graph unavailable: ${e.message}`;
    });
}

/** Live: every state change recolours graph nodes and state badges; lists refresh, debounced. */
function startLive(): void {
  const since = document.body.dataset.since ?? "0";
  const flow = document.querySelector<HTMLElement>("#graph")?.dataset.flow;
  const source = new EventSource(`/events?since=${since}${flow ? `&flow=${flow}` : ""}`);
  let timer = 0;
  source.addEventListener("changes", (e) => {
    const changes = JSON.parse((e as MessageEvent).data) as [number, number | null, string][];
    if (changes.length === 0) return;
    for (const [jobId, , state] of changes) {
      window.ferryGraph?.update(jobId, state);
      for (const el of document.querySelectorAll(
        `[data-job="${jobId}"] .badge, #job-state[data-job="${jobId}"] .badge`,
      ))
        setBadge(el, state);
    }
    document.body.dataset.live = String(Number(document.body.dataset.live ?? 0) + changes.length);
    if (!timer)
      timer = window.setTimeout(() => {
        timer = 0;
        document.body.dispatchEvent(new Event("ferry:changed"));
      }, 1000);
  });
  source.addEventListener("reload", () => window.location.reload());
}

function startLog(pre: HTMLElement): void {
  const source = new EventSource(pre.dataset.log!);
  source.addEventListener("log", (e) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(JSON.parse((e as MessageEvent).data) as string);
    if (pre.textContent!.length > 2_000_000) pre.textContent = pre.textContent!.slice(-1_000_000);
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  });
  const end = (note: string) => () => {
    source.close();
    pre.dataset.ended = "1";
    if (note) pre.append(note);
  };
  source.addEventListener("end", end(""));
  source.addEventListener("problem", (e) => end(`\n[${JSON.parse((e as MessageEvent).data)}]\n`)());
}

function startDialog(): void {
  const dialog = document.querySelector<HTMLDialogElement>("#dialog")!;
  document.body.addEventListener("htmx:afterSwap", (e) => {
    if ((e as CustomEvent).detail?.target === dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", (e) => {
    const t = e.target as HTMLElement;
    if (t.closest(".close-dialog")) dialog.close();
    if (t.matches(".check-all"))
      for (const box of t.closest("table")!.querySelectorAll<HTMLInputElement>('input[name="id"]'))
        box.checked = (t as HTMLInputElement).checked;
  });
}

function start(): void {
  startDialog();
  const box = document.querySelector<HTMLElement>("#graph");
  if (box) startGraph(box);
  const log = document.querySelector<HTMLElement>("#log[data-log]");
  if (log) startLog(log);
  startLive();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
