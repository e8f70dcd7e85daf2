/**
 * `ferry report`: how many jobs reached each final state per interval, with the success ratio
 * completed / (completed + failed) — FireWorks' `lpad report` — plus the current state counts.
 */
import { UsageError } from "../../model/errors.ts";
import type { JobState } from "../../model/states.ts";
import type { Context } from "../context.ts";

const INTERVALS = { hours: 3600e3, days: 86400e3, weeks: 7 * 86400e3 } as const;
type Interval = keyof typeof INTERVALS;

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
  interval: Interval;
  rows: ReportRow[];
  now: Partial<Record<JobState, number>>;
}

export async function report(ctx: Context, o: { interval?: string; count?: string }): Promise<Report> {
  const interval = (o.interval ?? "days") as Interval;
  if (!(interval in INTERVALS))
    throw new UsageError(`--interval must be one of ${Object.keys(INTERVALS).join(", ")}`);
  const count = o.count ? Number(o.count) : 7;
  if (!Number.isInteger(count) || count <= 0) throw new UsageError("--count must be a positive integer");
  const size = INTERVALS[interval];
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
  return { interval, rows, now: await store.countByState() };
}
