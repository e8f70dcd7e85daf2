/**
 * Jobs started, completed, failed and cancelled per interval, with the success ratio
 * completed / (completed + failed) — FireWorks' `lpad report` — plus the current state counts.
 */
import { UsageError } from "../model/errors.ts";
import type { JobState } from "../model/states.ts";
import type { ApiContext } from "./context.ts";

const INTERVALS: ReadonlyMap<string, number> = new Map([
  ["hours", 3600e3],
  ["days", 86400e3],
  ["weeks", 7 * 86400e3],
]);
export type ReportInterval = "hours" | "days" | "weeks";

export interface ReportRow {
  start: number;
  end: number;
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** completed / (completed + failed), in percent; null when neither happened. */
  successPercent: number | null;
}

export interface Report {
  interval: ReportInterval;
  rows: ReportRow[];
  now: Partial<Record<JobState, number>>;
}

export async function report(
  ctx: ApiContext,
  o: { interval?: string; count?: number } = {},
): Promise<Report> {
  const interval = o.interval ?? "days";
  const size = INTERVALS.get(interval);
  if (size === undefined)
    throw new UsageError(`--interval must be one of ${[...INTERVALS.keys()].join(", ")}, got "${interval}"`);
  const count = o.count ?? 7;
  if (!Number.isSafeInteger(count) || count <= 0 || count > 10_000)
    throw new UsageError(`--count must be a whole number from 1 to 10000, got ${count}`);
  const end = Math.ceil(Date.now() / size) * size;
  const start = end - count * size;
  const store = await ctx.store();
  const events = await store.eventsSince(start, ["RUNNING", "COMPLETED", "FAILED", "CANCELLED"]);
  const rows: ReportRow[] = Array.from({ length: count }, (_, i) => ({
    start: start + i * size,
    end: start + (i + 1) * size,
    started: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    successPercent: null,
  }));
  for (const e of events) {
    const row = rows[Math.floor((e.at - start) / size)];
    if (!row) continue;
    if (e.to === "RUNNING") row.started++;
    else if (e.to === "COMPLETED") row.completed++;
    else if (e.to === "FAILED") row.failed++;
    else row.cancelled++;
  }
  for (const r of rows)
    if (r.completed + r.failed > 0)
      r.successPercent = Math.round((1000 * r.completed) / (r.completed + r.failed)) / 10;
  return { interval: interval as ReportInterval, rows, now: await store.countByState() };
}
