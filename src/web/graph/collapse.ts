/**
 * Big sub-flows and fan-outs become one node with state counts, as Prefect ended up doing for
 * mapped tasks (PrefectHQ/prefect #16081) after graphs of thousands of tasks froze its UI:
 * - a sub-flow: the jobs one run's action added (same `addedByRun`), when there are at least
 *   `threshold` of them;
 * - a fan-out: at least `threshold` jobs with exactly the same parents and the same children
 *   (interchangeable in the picture; a 2,000-wide map step is one row of identical boxes).
 */
import type { JobState } from "../../model/states.ts";

export interface GraphJob {
  id: number;
  name: string;
  state: JobState;
  addedByRun: number | null;
}

export interface CollapsedGroup {
  kind: "subflow" | "fanout";
  label: string;
  members: number[];
}

export interface CollapsedGraph {
  /** One entry per drawn node: a job id, or a group index (into `groups`) as `{ group }`. */
  nodes: ({ job: number } | { group: number })[];
  groups: CollapsedGroup[];
  /** Node index pairs, parent then child, without duplicates: [p0, c0, p1, c1, …]. */
  edges: number[];
}

/** `edges` are job id pairs [parent, child]. A threshold of Infinity keeps every job. */
export function collapseGraph(
  jobs: readonly GraphJob[],
  edges: readonly (readonly [number, number])[],
  threshold: number,
): CollapsedGraph {
  const groupOf = new Map<number, number>();
  const groups: CollapsedGroup[] = [];
  const addGroup = (kind: CollapsedGroup["kind"], members: number[], names: string[]) => {
    const g = groups.length;
    groups.push({ kind, label: groupLabel(names, members.length, kind), members });
    for (const m of members) groupOf.set(m, g);
  };
  const byId = new Map(jobs.map((j) => [j.id, j]));

  const bySubflow = new Map<number, GraphJob[]>();
  for (const j of jobs)
    if (j.addedByRun !== null) {
      const list = bySubflow.get(j.addedByRun);
      if (list) list.push(j);
      else bySubflow.set(j.addedByRun, [j]);
    }
  for (const list of bySubflow.values())
    if (list.length >= threshold)
      addGroup(
        "subflow",
        list.map((j) => j.id),
        list.map((j) => j.name),
      );

  const rep = (id: number) => {
    const g = groupOf.get(id);
    return g === undefined ? `j${id}` : `g${g}`;
  };
  const parents = new Map<number, string[]>();
  const children = new Map<number, string[]>();
  for (const [p, c] of edges) {
    if (!groupOf.has(c)) push(parents, c, rep(p));
    if (!groupOf.has(p)) push(children, p, rep(c));
  }
  const bySignature = new Map<string, number[]>();
  for (const j of jobs) {
    if (groupOf.has(j.id)) continue;
    const sig = `${(parents.get(j.id) ?? []).sort().join(",")}|${(children.get(j.id) ?? []).sort().join(",")}`;
    push(bySignature, sig, j.id);
  }
  for (const members of bySignature.values())
    if (members.length >= threshold)
      addGroup(
        "fanout",
        members,
        members.map((id) => byId.get(id)!.name),
      );

  const nodes: CollapsedGraph["nodes"] = groups.map((_, g) => ({ group: g }));
  const nodeOf = new Map<number, number>();
  for (const j of jobs) {
    const g = groupOf.get(j.id);
    if (g !== undefined) nodeOf.set(j.id, g);
    else {
      nodeOf.set(j.id, nodes.length);
      nodes.push({ job: j.id });
    }
  }
  const seen = new Set<number>();
  const out: number[] = [];
  for (const [p, c] of edges) {
    const a = nodeOf.get(p);
    const b = nodeOf.get(c);
    if (a === undefined || b === undefined || a === b) continue;
    const k = a * nodes.length + b;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a, b);
  }
  return { nodes, groups, edges: out };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** "relax-*" from relax-0001 … relax-2000: the common prefix, without trailing digits. */
function groupLabel(names: readonly string[], count: number, kind: CollapsedGroup["kind"]): string {
  let prefix = names[0] ?? "";
  for (const n of names) {
    let i = 0;
    while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
    prefix = prefix.slice(0, i);
    if (prefix === "") break;
  }
  prefix = prefix.replace(/[\d]+$/, "");
  const what = kind === "subflow" ? "sub-flow" : "jobs";
  return prefix === "" ? `${count} ${what}` : `${prefix}* ×${count}`;
}
