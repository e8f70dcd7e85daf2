/**
 * The flow graph as the dashboard draws it: a layered layout (every edge points right, no two
 * boxes share a cell, a tall column folds, 10,000 jobs in well under a second) and the groups
 * that stand for big fan-outs and sub-flows, with their state counts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JobState } from "../src/model/states.ts";
import { collapseGraph, type GraphJob } from "../src/web/graph/collapse.ts";
import { FlowGraphCache } from "../src/web/graph/flow-graph.ts";
import { layeredLayout } from "../src/web/graph/layout.ts";

function checkLayout(n: number, edges: number[], maxRows = 40) {
  const l = layeredLayout(n, edges, { maxRows });
  for (let e = 0; e < edges.length; e += 2)
    assert.ok(l.x[edges[e + 1]!]! > l.x[edges[e]!]!, `edge ${edges[e]}→${edges[e + 1]} points right`);
  const cells = new Set<string>();
  for (let v = 0; v < n; v++) {
    const key = `${l.x[v]},${l.y[v]}`;
    assert.ok(!cells.has(key), `node ${v} shares cell ${key}`);
    cells.add(key);
    assert.ok(l.x[v]! >= 0 && l.x[v]! < l.columns && l.y[v]! >= 0 && l.y[v]! < l.rows + 1);
  }
  return l;
}

describe("layered layout", () => {
  test("a diamond: ranks left to right, the two middle jobs in one column", () => {
    const l = checkLayout(4, [0, 1, 0, 2, 1, 3, 2, 3]);
    assert.deepEqual([l.x[0], l.x[1], l.x[2], l.x[3]], [0, 1, 1, 2]);
    assert.equal(l.columns, 3);
  });

  test("a column taller than maxRows folds into sub-columns; separate components do not overlap", () => {
    const edges: number[] = [];
    for (let i = 1; i <= 100; i++) edges.push(0, i);
    const l = checkLayout(103, [...edges, 101, 102], 40);
    assert.equal(new Set([...l.x].slice(1, 101)).size, 3, "100 children in 3 sub-columns of ≤ 40");
  });

  test("10,000 jobs in 100 layers with 1–2 parents each: laid out in under a second", () => {
    const edges: number[] = [];
    for (let v = 100; v < 10_000; v++) {
      const layer = Math.floor(v / 100);
      edges.push((layer - 1) * 100 + ((v * 7) % 100), v);
      if (v % 2) edges.push((layer - 1) * 100 + ((v * 13 + 5) % 100), v);
    }
    const t0 = performance.now();
    checkLayout(10_000, edges);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });
});

describe("collapsed groups", () => {
  const job = (
    id: number,
    name: string,
    state: JobState = "WAITING",
    addedByRun: number | null = null,
  ): GraphJob => ({
    id,
    name,
    state,
    addedByRun,
  });

  test("a 200-wide fan-out becomes one node with state counts; the graph keeps its shape", () => {
    const jobs = [job(1, "prepare", "COMPLETED")];
    const edges: [number, number][] = [];
    for (let i = 0; i < 200; i++) {
      jobs.push(job(10 + i, `relax-${String(i).padStart(3, "0")}`, i < 3 ? "FAILED" : "COMPLETED"));
      edges.push([1, 10 + i], [10 + i, 2]);
    }
    jobs.push(job(2, "collect"));
    const c = collapseGraph(jobs, edges, 50);
    assert.equal(c.groups.length, 1);
    assert.equal(c.groups[0]!.label, "relax-* ×200");
    assert.equal(c.nodes.length, 3, "prepare, the group, collect");
    assert.equal(c.edges.length / 2, 2, "prepare → group → collect, once each");
    const g = new FlowGraphCache().graph(1, jobs, edges, 50);
    assert.deepEqual(g.groups[0]!.counts, { FAILED: 3, COMPLETED: 197 });
    assert.equal(g.state[0], "FAILED", "a group shows its most pressing state");
    const all = new FlowGraphCache().graph(1, jobs, edges, Number.POSITIVE_INFINITY);
    assert.equal(all.job.length, 202, "expanded: every job drawn");
  });

  test("jobs one run's action added form a sub-flow group; fewer than the threshold stay apart", () => {
    const jobs = [job(1, "root", "COMPLETED")];
    const edges: [number, number][] = [];
    for (let i = 0; i < 60; i++) {
      jobs.push(job(100 + i, `step-${i}`, "READY", 7));
      if (i > 0) edges.push([100 + i - 1, 100 + i]);
    }
    edges.push([1, 100]);
    for (let i = 0; i < 5; i++) jobs.push(job(200 + i, `small-${i}`, "READY", 8));
    const c = collapseGraph(jobs, edges, 50);
    assert.equal(c.groups.length, 1);
    assert.equal(c.groups[0]!.kind, "subflow");
    assert.equal(c.groups[0]!.members.length, 60);
    assert.equal(c.nodes.length, 1 + 1 + 5);
  });

  test("the layout is computed once per shape; a state change reuses it", () => {
    const cache = new FlowGraphCache();
    const jobs = Array.from({ length: 2000 }, (_, i) => job(i + 1, `j${i}`));
    const edges: [number, number][] = jobs.slice(1).map((j, i) => [i + 1, j.id]);
    const first = cache.graph(1, jobs, edges);
    assert.ok(first.layoutMs > 0);
    const again = cache.graph(
      1,
      jobs.map((j) => ({ ...j, state: "COMPLETED" as const })),
      edges,
    );
    assert.equal(again.layoutMs, 0, "from the cache");
    assert.ok(
      again.state.every((s) => s === "COMPLETED"),
      "with the states of now",
    );
    assert.deepEqual(again.x, first.x);
  });
});
