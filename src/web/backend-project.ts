/**
 * The dashboard's backend on the public API: every read and action is a call on the Project
 * facade (src/api/), the same the CLI and a user's program make, so the web holds no SQL and no
 * lifecycle rule. Where the facade has no read the page needs, the smallest adapter built from
 * facade calls is here, each saying what it works around:
 * - paging without a total: one more row than the page is asked for, to know whether a next page exists;
 * - the newest history id (for a page to start its live events where its data ended): found by
 *   galloping and bisecting `changes({ after, limit: 1 })`, about 2·log2(id) one-row reads, once;
 * - per-worker load: `jobs()` with a run query on the current run's worker, per worker;
 * - a flow's summary alone: `flow()` reads every job too, so a flow page (summary) and its graph
 *   (jobs and edges), asked for together, share one read kept for FLOW_MEMO_MS: the summary always
 *   reads afresh (a page refreshes it after a change: a kept read would show the state before it)
 *   and leaves its read for the graph that follows; a change the live feed sees drops the kept read.
 */
import type { Project } from "../api/project.ts";
import type { FlowDetails } from "../api/reads.ts";
import type { Selection } from "../api/selection.ts";
import { NotFoundError, UsageError } from "../model/errors.ts";
import type {
  ActionOutcome,
  ActionPreview,
  ActionRequest,
  SelectorText,
  StateChange,
  WebBackend,
  WorkerLoad,
} from "./backend.ts";
import { changeText, rerunText } from "./preview-text.ts";

function ids(values: readonly string[] | undefined, what: string): number[] | undefined {
  if (!values) return undefined;
  return values.map((v) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${what} must be numeric ids, got "${v}"`);
    return Number(v);
  });
}

/** The CLI's selector text as a Selection (the facade validates the rest, once, for everyone). */
export function selectionOf(s: SelectorText): Selection {
  const sel: Selection = {};
  const idList = ids(s.id, "--id");
  if (idList) sel.ids = idList;
  const flows = ids(s.flow, "--flow");
  if (flows) sel.flows = flows;
  if (s.name) sel.names = s.name;
  if (s.state) sel.states = s.state;
  if (s.worker) sel.workers = s.worker;
  if (s.since) sel.since = s.since;
  if (s.until) sel.until = s.until;
  if (s.runs && s.query === undefined) throw new UsageError("--runs needs --query (a query over run fields)");
  if (s.query !== undefined) {
    if (s.runs) sel.runQuery = s.query;
    else sel.query = s.query;
  }
  if (s.all) sel.all = true;
  return sel;
}

async function act(project: Project, req: ActionRequest, dryRun: boolean) {
  const sel = selectionOf(req.selection);
  if (req.action === "rerun") {
    const r = await project.rerun(sel, {
      dryRun,
      ...(req.taskLevel ? { taskLevel: true } : {}),
      ...(req.force ? { force: true } : {}),
    });
    return {
      matched: r.matched,
      changed: r.jobs,
      also: r.descendants,
      skipped: r.skipped,
      text: rerunText(r),
    };
  }
  const r = await project[req.action](sel, { dryRun });
  return { matched: r.matched, changed: r.changed, also: [], skipped: r.skipped, text: changeText(r) };
}

/** Measured: a 10,000-job flow() takes ~300 ms here; the page and its graph.json come ~100 ms apart. */
const FLOW_MEMO_MS = 2000;

export function projectBackend(project: Project): WebBackend {
  const memo = new Map<number, { at: number; details: Promise<FlowDetails> }>();
  const flowDetails = (id: number, fresh: boolean): Promise<FlowDetails> => {
    const now = Date.now();
    for (const [k, v] of memo) if (now - v.at > FLOW_MEMO_MS) memo.delete(k);
    const hit = fresh ? undefined : memo.get(id);
    if (hit) return hit.details;
    const details = project.flow(id);
    memo.set(id, { at: now, details });
    details.catch(() => memo.delete(id));
    return details;
  };
  const latest = async (): Promise<number> => {
    // gallop to an id past the end, then bisect for the last id that has a row after it
    const hasAfter = async (id: number) =>
      (await project.changes({ after: id, limit: 1 })).changes.length > 0;
    if (!(await hasAfter(0))) return 0;
    let lo = 0;
    let hi = 1;
    while (await hasAfter(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await hasAfter(mid)) lo = mid;
      else hi = mid;
    }
    return hi;
  };
  return {
    description: `${project.config.file} (${project.config.database.kind})`,

    async flows(q) {
      const items = await project.flows({
        offset: q.offset,
        limit: q.limit + 1,
        ...(q.states && q.states.length > 0 ? { states: q.states } : {}),
        ...(q.name ? { name: q.name } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
      });
      return { items: items.slice(0, q.limit), more: items.length > q.limit };
    },

    async flow(id) {
      return (await flowDetails(id, true)).flow;
    },

    async flowGraph(id) {
      const d = await flowDetails(id, false);
      return {
        jobs: d.jobs.map((j) => ({ id: j.id, name: j.name, state: j.state, addedByRun: j.addedByRun })),
        edges: d.edges,
      };
    },

    async jobs(selection, page) {
      const items = await project.jobs(selectionOf(selection), {
        offset: page.offset,
        limit: page.limit + 1,
      });
      return { items: items.slice(0, page.limit), more: items.length > page.limit };
    },

    async job(id) {
      const d = await project.job(id, { archivedRuns: true });
      return { job: d.job, parents: d.parents, children: d.children, runs: d.runs, events: d.history };
    },

    async preview(req): Promise<ActionPreview> {
      const r = await act(project, req, true);
      return { action: req.action, matched: r.matched, changes: r.changed, text: r.text };
    },

    async apply(req): Promise<ActionOutcome> {
      const r = await act(project, req, false);
      return { action: req.action, changed: [...r.changed, ...r.also], skipped: r.skipped, text: r.text };
    },

    report: (o) => project.report(o),

    async workers(): Promise<WorkerLoad[]> {
      const count = async (sel: Selection) => (await project.jobs(sel)).length;
      return Promise.all(
        Object.values(project.config.workers).map(async (w) => ({
          name: w.name,
          mode: w.mode,
          scheduler: "scheduler" in w ? w.scheduler : w.queue ? `${w.queue.scheduler} (qlaunch)` : "-",
          ready: await count({ states: ["READY"], workers: [w.name] }),
          queued: await count({ states: ["RESERVED", "STAGED", "SUBMITTED"], runQuery: { worker: w.name } }),
          running: await count({ states: ["RUNNING"], runQuery: { worker: w.name } }),
        })),
      );
    },

    runner: () => project.runner.status(),

    async stopRunners() {
      return { asked: (await project.runner.stop()).asked };
    },

    async changes(after, limit): Promise<{ changes: StateChange[]; last: number }> {
      const r = await project.changes({ after, limit });
      // a flow that changed is read again: the live feed reads changes before it tells a page,
      // so the page's refresh that follows never gets the read from before the change
      for (const c of r.changes) memo.delete(c.flowId);
      return { changes: r.changes, last: r.last };
    },

    latestChange: latest,

    async followLogs(jobId, write, signal) {
      const before = await project.logs(jobId, { lines: 200 }).catch((e: unknown) => {
        if (e instanceof NotFoundError) return null;
        throw e;
      });
      if (!before) throw new NotFoundError(`job ${jobId} has not run yet`);
      write(`# run ${before.run.id} (${before.run.state}) in ${before.run.launchDir}\n`);
      for (const t of before.tasks) {
        if (t.stdout) write(`== task ${t.task} stdout ==\n${t.stdout}\n`);
        if (t.stderr) write(`== task ${t.task} stderr ==\n${t.stderr}\n`);
      }
      await project.followLogs(jobId, { write, signal });
    },
  };
}
