/**
 * The flow graph the page draws: collapsed groups, a layered layout cached per flow shape (jobs,
 * sub-flow membership and edges — not states, which change all the time), and the states of now.
 */
import type { JobState } from "../../model/states.ts";
import { STATE_URGENCY } from "../client/colors.ts";
import { type CollapsedGraph, collapseGraph, type GraphJob } from "./collapse.ts";
import { type Layout, layeredLayout } from "./layout.ts";

/** Groups of at least this many jobs are drawn as one node. @defaultValue 50 */
export const COLLAPSE_THRESHOLD = 50;

export interface GraphJson {
  columns: number;
  rows: number;
  /** Parallel arrays, one entry per node. `job` is the job id, or -1 for a group. */
  x: number[];
  y: number[];
  job: number[];
  label: string[];
  /** A job's state; for a group, its most pressing state (FAILED before RUNNING before …). */
  state: string[];
  /** Groups are nodes 0 … groups.length-1; `states` runs parallel to `members`. */
  groups: {
    kind: string;
    label: string;
    members: number[];
    states: JobState[];
    counts: Partial<Record<JobState, number>>;
  }[];
  edges: number[];
  /** How long the layout took on the server, in ms (0 when it came from the cache). */
  layoutMs: number;
}

interface Shape {
  collapsed: CollapsedGraph;
  layout: Layout;
}

const CACHE_SIZE = 16;

export class FlowGraphCache {
  readonly #shapes = new Map<string, Shape>();

  graph(
    flowId: number,
    jobs: readonly GraphJob[],
    edges: readonly (readonly [number, number])[],
    threshold = COLLAPSE_THRESHOLD,
  ): GraphJson {
    const key = `${flowId}:${threshold}:${shapeHash(jobs, edges)}`;
    let shape = this.#shapes.get(key);
    let layoutMs = 0;
    if (shape) {
      this.#shapes.delete(key);
    } else {
      const t0 = performance.now();
      const collapsed = collapseGraph(jobs, edges, threshold);
      shape = { collapsed, layout: layeredLayout(collapsed.nodes.length, collapsed.edges) };
      layoutMs = performance.now() - t0;
      if (this.#shapes.size >= CACHE_SIZE) this.#shapes.delete(this.#shapes.keys().next().value!);
    }
    this.#shapes.set(key, shape);
    return toJson(shape, new Map(jobs.map((j) => [j.id, j])), layoutMs);
  }
}

export function groupState(counts: Partial<Record<JobState, number>>): JobState {
  return (STATE_URGENCY.find((s) => (counts[s as JobState] ?? 0) > 0) as JobState | undefined) ?? "WAITING";
}

function toJson({ collapsed, layout }: Shape, byId: Map<number, GraphJob>, layoutMs: number): GraphJson {
  const g: GraphJson = {
    columns: layout.columns,
    rows: layout.rows,
    x: Array.from(layout.x),
    y: Array.from(layout.y),
    job: [],
    label: [],
    state: [],
    groups: [],
    edges: collapsed.edges,
    layoutMs: Math.round(layoutMs * 10) / 10,
  };
  for (const group of collapsed.groups) {
    const counts: Partial<Record<JobState, number>> = {};
    const states = group.members.map((m) => byId.get(m)!.state);
    for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
    g.groups.push({ ...group, states, counts });
  }
  for (const node of collapsed.nodes) {
    if ("job" in node) {
      const j = byId.get(node.job)!;
      g.job.push(j.id);
      g.label.push(j.name);
      g.state.push(j.state);
    } else {
      const group = g.groups[node.group]!;
      g.job.push(-1);
      g.label.push(group.label);
      g.state.push(groupState(group.counts));
    }
  }
  return g;
}

/** FNV-1a over ids, sub-flow membership and edges: equal shapes share one layout. */
function shapeHash(jobs: readonly GraphJob[], edges: readonly (readonly [number, number])[]): string {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= v >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  for (const j of jobs) {
    mix(j.id);
    mix(j.addedByRun ?? 0);
  }
  for (const [p, c] of edges) {
    mix(p);
    mix(c);
  }
  return `${jobs.length}.${edges.length}.${(h >>> 0).toString(36)}`;
}
