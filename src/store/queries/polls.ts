/** scheduler_polls: one row per worker, the time its scheduler was last asked for job status. */
import type { SqlClient } from "../sql.ts";

export type PollSlot = { taken: true } | { taken: false; lastAt: number };

/**
 * Take the right to ask `worker`'s scheduler for status now: granted when the last status call
 * (by any process) is at least `minIntervalMs` old, and recorded in the same statement, so two
 * processes racing for it never both get it.
 */
export async function takePollSlot(
  c: SqlClient,
  worker: string,
  now: number,
  minIntervalMs: number,
): Promise<PollSlot> {
  const row = await c.get<{ polled_at: number }>(
    "INSERT INTO scheduler_polls (worker, polled_at) VALUES (?, ?) ON CONFLICT (worker) DO UPDATE SET polled_at = excluded.polled_at WHERE scheduler_polls.polled_at <= ? RETURNING polled_at",
    [worker, now, now - minIntervalMs],
  );
  if (row) return { taken: true };
  const last = await c.get<{ polled_at: number }>("SELECT polled_at FROM scheduler_polls WHERE worker = ?", [
    worker,
  ]);
  return { taken: false, lastAt: Number(last?.polled_at ?? now) };
}
