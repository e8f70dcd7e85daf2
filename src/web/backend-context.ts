/**
 * The dashboard's backend on top of the CLI's own command modules (cli/commands/*.ts), so that
 * a page reads and changes jobs through exactly what `ferry jobs list`, `ferry rerun`, `ferry
 * report`, … run — with the same selector parsing, dry-run plans and refusals, and the same
 * printed preview. It holds no SQL and no lifecycle rule: where a command module has no read the
 * page needs (paging, flow filters, worker load, history since an id), it calls the store's
 * named operations, as those command modules do.
 */
import { controlCommands, rerunCommand } from "../cli/commands/change.ts";
import { showFlow } from "../cli/commands/flows.ts";
import { showJob } from "../cli/commands/jobs.ts";
import { jobLogs } from "../cli/commands/logs.ts";
import { retryCommand } from "../cli/commands/offline.ts";
import { report } from "../cli/commands/report.ts";
import type { Context } from "../cli/context.ts";
import type { Out } from "../cli/output.ts";
import * as print from "../cli/print-control.ts";
import { filterFromOptions, parseTime } from "../cli/selectors.ts";
import { NotFoundError, UsageError } from "../model/errors.ts";
import { ACTIVE_STATES, type JobState } from "../model/states.ts";
import type { FlowSummary } from "../model/types.ts";
import { globToRegex } from "../store/fragment.ts";
import type {
  ActionOutcome,
  ActionPreview,
  ActionRequest,
  Brief,
  FlowQuery,
  Paged,
  ReportData,
  SelectorText,
  StateChange,
  WebBackend,
  WorkerLoad,
} from "./backend.ts";

/** An Out that keeps what a CLI printer writes, without colour. */
function capture(): { out: Out; text: () => string } {
  const parts: string[] = [];
  const keep = (t: string) => {
    parts.push(t);
  };
  return {
    out: { color: false, isTTY: false, write: keep, error: keep },
    text: () => parts.join(""),
  };
}

type Outcome = {
  command: string;
  dryRun: boolean;
  selected: (Brief & { flowId: number })[];
  result: unknown;
};

async function runAction(ctx: Context, req: ActionRequest, dryRun: boolean): Promise<Outcome> {
  const o = { ...req.selection, dryRun, yes: true };
  if (req.action === "rerun")
    return (await rerunCommand(ctx, {
      ...o,
      ...(req.taskLevel ? { taskLevel: true } : {}),
      ...(req.force ? { force: true } : {}),
    })) as Outcome;
  if (req.action === "retry") return (await retryCommand(ctx, o)) as Outcome;
  const op = controlCommands[req.action];
  if (!op) throw new UsageError(`unknown action "${req.action}"`);
  return (await op(ctx, o)) as Outcome;
}

function printed(outcome: Outcome): string {
  const c = capture();
  if (outcome.command === "rerun") print.printRerun(c.out, outcome as never);
  else print.printChange(c.out, outcome as never);
  return c.text();
}

export function contextBackend(ctx: Context): WebBackend {
  const store = () => ctx.store();
  return {
    description: `${ctx.project().file} (${ctx.project().database.kind})`,

    async flows(q: FlowQuery): Promise<Paged<FlowSummary>> {
      const all = await (await store()).flowSummaries({ limit: 1_000_000_000 });
      const states = q.states?.map((s) => s.toUpperCase());
      const name = q.name ? new RegExp(globToRegex(q.name)) : null;
      const since = q.since ? parseTime(q.since) : null;
      const until = q.until ? parseTime(q.until) : null;
      const items = all.filter(
        (f) =>
          (!states || states.length === 0 || states.includes(f.state)) &&
          (!name || name.test(f.name)) &&
          (since === null || f.updatedAt >= since) &&
          (until === null || f.updatedAt < until),
      );
      return { items: items.slice(q.offset, q.offset + q.limit), total: items.length };
    },

    async flow(id) {
      const [f] = await (await store()).flowSummaries({ ids: [id] });
      if (!f) throw new NotFoundError(`no flow with id ${id}`);
      return f;
    },

    async flowGraph(id) {
      const d = await showFlow(ctx, id);
      return {
        jobs: d.jobs.map((j) => ({ id: j.id, name: j.name, state: j.state, addedByRun: j.addedByRun })),
        edges: d.edges,
      };
    },

    async jobs(selection: SelectorText, page) {
      const filter = filterFromOptions(selection);
      const s = await store();
      const [items, total] = await Promise.all([
        s.findJobs(filter, { offset: page.offset, limit: page.limit }),
        s.countJobs(filter),
      ]);
      return { items, total };
    },

    async job(id) {
      const d = await showJob(ctx, id, { runs: true });
      const brief = (b: { id: number; name: string; state: string }) => ({
        ...b,
        state: b.state as JobState,
      });
      return {
        job: d.job,
        parents: d.parents.map(brief),
        children: d.children.map(brief),
        runs: d.runs,
        events: d.events,
      };
    },

    async preview(req): Promise<ActionPreview> {
      const outcome = await runAction(ctx, req, true);
      return { action: req.action, selected: outcome.selected, text: printed(outcome) };
    },

    async apply(req): Promise<ActionOutcome> {
      const outcome = await runAction(ctx, req, false);
      const r = outcome.result as {
        changed?: Brief[];
        jobs?: Brief[];
        descendants?: Brief[];
        skipped?: (Brief & { reason: string })[];
      } | null;
      return {
        action: req.action,
        changed: [...(r?.changed ?? r?.jobs ?? []), ...(r?.descendants ?? [])],
        skipped: r?.skipped ?? [],
        text: printed(outcome),
      };
    },

    async report(o): Promise<ReportData> {
      return report(ctx, { interval: o.interval, count: String(o.count) });
    },

    async workers(): Promise<WorkerLoad[]> {
      const s = await store();
      const active = await s.findJobStates({ states: [...ACTIVE_STATES, "READY"] });
      const runs = await s.currentRuns(active.filter((j) => j.state !== "READY").map((j) => j.id));
      const ready = await s.findJobs({ states: ["READY"] }, { limit: 1_000_000_000 });
      const project = ctx.project();
      const load = new Map<string, WorkerLoad>(
        Object.values(project.workers).map((w) => [
          w.name,
          {
            name: w.name,
            mode: w.mode,
            scheduler: "scheduler" in w ? w.scheduler : w.queue ? `${w.queue.scheduler} (qlaunch)` : "-",
            queued: 0,
            running: 0,
            ready: 0,
          },
        ]),
      );
      for (const run of runs.values()) {
        const w = run.worker ? load.get(run.worker) : undefined;
        if (!w) continue;
        if (run.state === "RUNNING") w.running++;
        else if (run.state !== "FINISHED") w.queued++;
      }
      for (const j of ready) if (j.worker) (load.get(j.worker) ?? { ready: 0 }).ready++;
      return [...load.values()];
    },

    async changes(since, limit): Promise<{ changes: StateChange[]; head: number }> {
      const r = await (await store()).eventsAfter(since, limit);
      return { changes: r.events, head: r.head };
    },

    async followLogs(jobId, write, signal) {
      // jobLogs follows until the run ends; a reader that went away stops it at the next output
      await jobLogs(ctx, jobId, { follow: true, lines: "200" }, (t) => {
        if (signal.aborted) throw new Error("log reader went away");
        write(t);
      }).catch((e) => {
        if (!signal.aborted) throw e;
      });
    },

    close: () => ctx.close(),
    [Symbol.asyncDispose]: () => ctx.close(),
  };
}
