/**
 * A selection of jobs, the same for the CLI (`--id --name --state --flow --worker --since
 * --until --query --runs --all`) and the API, validated here once. A change never takes "no
 * selector" to mean "all": it needs `all` (FireWorks' *_wflows commands silently select every
 * workflow when -n is given: fireworks/scripts/lpad_run.py). Ids and flows that do not exist
 * are "not found", never an empty selection.
 */
import { NotFoundError, UsageError, ValidationError } from "../model/errors.ts";
import { foreignStateHint } from "../model/foreign-words.ts";
import { isJobState, JOB_STATES, type JobState } from "../model/states.ts";
import { didYouMean } from "../model/suggest.ts";
import { isEmptyFilter, type JobFilter } from "../store/queries/job-filter.ts";
import type { StoreOps } from "../store/store.ts";

/** Which jobs an operation reads or changes. Every given field must hold (AND). */
export interface Selection {
  /** Job ids; one that does not exist is a NotFoundError. */
  ids?: readonly number[];
  /** Globs over job names (`relax-*`, `[ab]`); any may match. */
  names?: readonly string[];
  /** Job states, any case (`failed`); FireWorks' names are explained (FIZZLED is FAILED). */
  states?: readonly string[];
  /** Flow ids; one that does not exist is a NotFoundError. */
  flows?: readonly number[];
  /** Jobs pinned to these workers. */
  workers?: readonly string[];
  /** Updated at or after: epoch ms, a Date, an ISO date/time, or a duration back from now (`30m`, `2h`, `1d`). */
  since?: number | Date | string;
  /** Updated before (same forms as `since`). */
  until?: number | Date | string;
  /** A query over job fields (docs/queries.md): an object, or its JSON text. */
  query?: unknown;
  /** A query over each job's current run (`--runs --query`): an object, or its JSON text. */
  runQuery?: unknown;
  /** Every job: required by changes when nothing else is given, refused with other selectors. */
  all?: boolean;
}

/** "2026-11-20", "2026-11-20T10:00", or a duration back from now: "30m", "2h", "1d". */
export function parseTime(value: number | Date | string, now = Date.now()): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new UsageError(`a time must be a finite number of ms, got ${value}`);
    return value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new UsageError("an invalid Date was given as a time");
    return value.getTime();
  }
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[rel[2] as "s"];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`cannot read time "${value}": use an ISO date (2026-11-20T10:00) or 30m / 2h / 1d`);
  return t;
}

/** A state as typed (any case) → ferry's state, or a UsageError naming the right one. */
export function parseState(text: string): JobState {
  const up = text.toUpperCase();
  if (isJobState(up)) return up;
  throw new UsageError(
    `unknown state "${text}"${foreignStateHint(text) || didYouMean(up, JOB_STATES)}; states: ${JOB_STATES.join(", ")}`,
  );
}

function positiveIds(values: readonly number[], what: string): number[] {
  for (const v of values)
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new UsageError(`${what} must be positive integers, got ${v}`);
  return [...values];
}

function nonEmptyNames(values: readonly string[], what: string): string[] {
  for (const v of values)
    if (typeof v !== "string" || v.trim() === "") throw new UsageError(`${what} must not be empty`);
  return [...values];
}

/** JSON text → value; invalid JSON is invalid input (exit 3), like any invalid query. */
function queryValue(q: unknown, flag: string): unknown {
  if (typeof q !== "string") return q;
  try {
    return JSON.parse(q);
  } catch (e) {
    throw new ValidationError(`${flag} is not valid JSON (docs/queries.md)`, [
      { field: flag, message: (e as Error).message },
    ]);
  }
}

/**
 * The selection as a store filter. `change` names the command for a change (which then needs a
 * selector or `all`); reads take "no selector" as every job but archived ones.
 */
export function selectionFilter(sel: Selection, change?: string): JobFilter {
  const filter: JobFilter = {};
  if (sel.ids) filter.ids = positiveIds(sel.ids, "job ids");
  if (sel.names) filter.names = nonEmptyNames(sel.names, "job name globs");
  if (sel.states) filter.states = sel.states.map(parseState);
  if (sel.flows) filter.flowIds = positiveIds(sel.flows, "flow ids");
  if (sel.workers) filter.workers = nonEmptyNames(sel.workers, "worker names");
  if (sel.since !== undefined) filter.since = parseTime(sel.since);
  if (sel.until !== undefined) filter.until = parseTime(sel.until);
  if (sel.query !== undefined) filter.query = queryValue(sel.query, "--query");
  if (sel.runQuery !== undefined) filter.runQuery = queryValue(sel.runQuery, "--runs --query");
  if (sel.all && !isEmptyFilter(filter))
    throw new UsageError("--all cannot be combined with other selectors");
  if (change && !sel.all && isEmptyFilter(filter)) {
    throw new UsageError(
      `${change} changes jobs and needs a selector (--id, --name, --state, --flow, --worker, --since, --until, --query) or --all to select every job; nothing was changed`,
    );
  }
  return filter;
}

/** Refuse ids and flows that do not exist (archived jobs exist). */
export async function checkExists(ops: StoreOps, filter: JobFilter): Promise<void> {
  if (filter.ids && filter.ids.length > 0) {
    const found = new Set(
      (await ops.findJobStates({ ids: filter.ids, includeArchived: true })).map((j) => j.id),
    );
    const missing = filter.ids.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new NotFoundError(`no job with id ${missing.join(", ")}; nothing was read or changed`);
  }
  if (filter.flowIds && filter.flowIds.length > 0) {
    const found = new Set((await ops.flowSummaries({ ids: filter.flowIds })).map((f) => f.id));
    const missing = filter.flowIds.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new NotFoundError(`no flow with id ${missing.join(", ")}; nothing was read or changed`);
  }
}

/** The ids a selection matches now (after refusing unknown ids and flows). */
export async function selectJobIds(ops: StoreOps, sel: Selection, change?: string): Promise<number[]> {
  const filter = selectionFilter(sel, change);
  await checkExists(ops, filter);
  return (await ops.findJobStates(filter)).map((j) => j.id);
}
