/** edges: the flow graph as rows (parent_id → child_id). */
import { chunks, placeholders, type SqlClient } from "../sql.ts";
import { insertRows } from "./insert.ts";

export async function insertEdges(
  c: SqlClient,
  pairs: readonly (readonly [number, number])[],
): Promise<void> {
  if (pairs.length === 0) return;
  await insertRows(
    c,
    "edges",
    ["parent_id", "child_id"],
    pairs.map(([p, ch]) => [p, ch]),
  );
}

async function adjacency(
  c: SqlClient,
  ids: readonly number[],
  from: "parent_id" | "child_id",
  to: "parent_id" | "child_id",
): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const chunk of chunks(ids)) {
    const rows = await c.all<Record<string, number>>(
      `SELECT ${from} AS a, ${to} AS b FROM edges WHERE ${from} IN (${placeholders(chunk.length)}) ORDER BY ${to}`,
      chunk,
    );
    for (const r of rows) {
      const a = Number(r.a);
      const list = out.get(a) ?? [];
      list.push(Number(r.b));
      out.set(a, list);
    }
  }
  return out;
}

/** child id → parent ids */
export function parentsOf(c: SqlClient, ids: readonly number[]): Promise<Map<number, number[]>> {
  return adjacency(c, ids, "child_id", "parent_id");
}

/** parent id → child ids */
export function childrenOf(c: SqlClient, ids: readonly number[]): Promise<Map<number, number[]>> {
  return adjacency(c, ids, "parent_id", "child_id");
}

/** Every job reachable downwards from `ids` (not including them), by breadth-first walk. */
export async function descendantsOf(c: SqlClient, ids: readonly number[]): Promise<number[]> {
  const seen = new Set<number>(ids);
  const out: number[] = [];
  let frontier = [...ids];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const kids of (await childrenOf(c, frontier)).values()) {
      for (const k of kids) {
        if (!seen.has(k)) {
          seen.add(k);
          out.push(k);
          next.push(k);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Every job reachable upwards from `ids` (not including them). */
export async function ancestorsOf(c: SqlClient, ids: readonly number[]): Promise<number[]> {
  const seen = new Set<number>(ids);
  const out: number[] = [];
  let frontier = [...ids];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const ps of (await parentsOf(c, frontier)).values()) {
      for (const p of ps) {
        if (!seen.has(p)) {
          seen.add(p);
          out.push(p);
          next.push(p);
        }
      }
    }
    frontier = next;
  }
  return out;
}

export async function edgesOfFlow(c: SqlClient, flowId: number): Promise<[number, number][]> {
  const rows = await c.all<{ parent_id: number; child_id: number }>(
    "SELECT e.parent_id, e.child_id FROM edges e JOIN jobs j ON j.id = e.child_id WHERE j.flow_id = ? ORDER BY e.parent_id, e.child_id",
    [flowId],
  );
  return rows.map((r) => [Number(r.parent_id), Number(r.child_id)]);
}

export async function deleteEdges(
  c: SqlClient,
  pairs: readonly (readonly [number, number])[],
): Promise<void> {
  for (const [p, ch] of pairs) await c.run("DELETE FROM edges WHERE parent_id = ? AND child_id = ?", [p, ch]);
}
