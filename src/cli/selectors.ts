/**
 * The selectors shared by every command that reads or changes jobs: --id, --name, --state,
 * --flow, --worker, --since, --until (and --query/--runs, see query/). A command that changes
 * state never takes "no selector" to mean "all": it needs --all (FireWorks' *_wflows commands
 * silently select every workflow when -n is given: reference/fireworks.md §3).
 */
import type { Command } from "commander";
import { UsageError } from "../model/errors.ts";
import { isJobState, JOB_STATES, type JobState } from "../model/states.ts";
import { didYouMean } from "../model/suggest.ts";
import { isEmptyFilter, type JobFilter } from "../store/queries/job-filter.ts";

export interface SelectorOptions {
  id?: string[];
  name?: string[];
  state?: string[];
  flow?: string[];
  worker?: string[];
  since?: string;
  until?: string;
  query?: string;
  runs?: boolean;
  all?: boolean;
}

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean),
];

export function addSelectorOptions(cmd: Command, options: { all?: boolean } = {}): Command {
  cmd
    .option("-i, --id <ids>", "job ids (comma-separated or repeated)", collect)
    .option("-n, --name <glob>", "job names matching a glob (repeatable)", collect)
    .option("-s, --state <states>", `job states: ${JOB_STATES.join(", ")}`, collect)
    .option("-f, --flow <ids>", "jobs of these flows", collect)
    .option("-w, --worker <names>", "jobs pinned to these workers", collect)
    .option("--since <time>", "updated at or after (ISO date/time, or 30m, 2h, 1d ago)")
    .option("--until <time>", "updated before (same forms as --since)")
    .option(
      "-q, --query <json>",
      'a query over job fields, e.g. \'{"inputs.temperature": {"$gte": 300}}\' (docs/queries.md)',
    )
    .option(
      "--runs",
      "--query matches each job's current run instead (state, exitCode, error.message, error.stack, launchDir, …)",
    );
  if (options.all) cmd.option("--all", "select every job (required when no other selector is given)");
  return cmd;
}

function ids(values: string[] | undefined, what: string): number[] | undefined {
  if (!values) return undefined;
  return values.map((v) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${what} must be numeric ids, got "${v}"`);
    return Number(v);
  });
}

/** "2026-11-20", "2026-11-20T10:00", or a duration back from now: "30m", "2h", "1d". */
export function parseTime(text: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[rel[2] as "s"];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(`cannot read time "${text}": use an ISO date (2026-11-20T10:00) or 30m / 2h / 1d`);
  return t;
}

export function filterFromOptions(o: SelectorOptions): JobFilter {
  const states = o.state?.map((s) => {
    const up = s.toUpperCase();
    if (!isJobState(up))
      throw new UsageError(
        `unknown state "${s}"${didYouMean(up, JOB_STATES)}; states: ${JOB_STATES.join(", ")}`,
      );
    return up as JobState;
  });
  const filter: JobFilter = {};
  const idList = ids(o.id, "--id");
  if (idList) filter.ids = idList;
  if (o.name) filter.names = o.name;
  if (states) filter.states = states;
  const flows = ids(o.flow, "--flow");
  if (flows) filter.flowIds = flows;
  if (o.worker) filter.workers = o.worker;
  if (o.since) filter.since = parseTime(o.since);
  if (o.until) filter.until = parseTime(o.until);
  if (o.runs && o.query === undefined) throw new UsageError("--runs needs --query (a query over run fields)");
  if (o.query !== undefined) {
    let q: unknown;
    try {
      q = JSON.parse(o.query);
    } catch (e) {
      throw new UsageError(`--query is not valid JSON: ${(e as Error).message}`);
    }
    if (o.runs) filter.runQuery = q;
    else filter.query = q;
  }
  return filter;
}

/** For commands that change state: refuse an empty selection unless --all. */
export function requireSelection(filter: JobFilter, o: SelectorOptions, command: string): void {
  if (isEmptyFilter(filter) && !o.all) {
    throw new UsageError(
      `${command} changes jobs and needs a selector (--id, --name, --state, --flow, --worker, --since, --until, --query) or --all to select every job; nothing was changed`,
    );
  }
  if (o.all && !isEmptyFilter(filter)) {
    throw new UsageError(`--all cannot be combined with other selectors`);
  }
}
