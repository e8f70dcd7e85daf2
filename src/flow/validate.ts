/**
 * Graph checks on a flow spec, after the schema: duplicate names, unknown parents, cycles,
 * references to jobs that are not ancestors. Every problem is reported (not just the first),
 * located by file, job and field.
 */
import { existsSync } from "node:fs";
import type { Issue } from "../model/errors.ts";
import { didYouMean } from "../model/suggest.ts";
import type { FlowSpec, JobSpec } from "../model/types.ts";
import { findReferences, formatReference } from "./references.ts";

/** Parents of each job name, including names that may not exist. */
function parentMap(jobs: readonly JobSpec[]): Map<string, string[]> {
  return new Map(jobs.map((j) => [j.name, j.parents]));
}

/** One cycle as a list of names (first repeated at the end), or null. */
export function findCycle(jobs: readonly JobSpec[]): string[] | null {
  const parents = parentMap(jobs);
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    const s = state.get(name);
    if (s === "done") return null;
    if (s === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const p of parents.get(name) ?? []) {
      if (!parents.has(p)) continue;
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return null;
  };
  for (const j of jobs) {
    const cycle = visit(j.name);
    // a cycle found walking parents reads child → parent; show it in run order
    if (cycle) return cycle.reverse();
  }
  return null;
}

/** Ancestors of every job (assumes no cycle). */
export function ancestorSets(jobs: readonly JobSpec[], known?: ReadonlyMap<string, ReadonlySet<string>>) {
  const parents = parentMap(jobs);
  const memo = new Map<string, Set<string>>();
  const of = (name: string): Set<string> => {
    const cached = memo.get(name);
    if (cached) return cached;
    const set = new Set<string>();
    memo.set(name, set);
    for (const p of parents.get(name) ?? []) {
      set.add(p);
      const upper = parents.has(p) ? of(p) : (known?.get(p) ?? new Set<string>());
      for (const a of upper) set.add(a);
    }
    return set;
  };
  return new Map(jobs.map((j) => [j.name, of(j.name)]));
}

/**
 * Validate a flow spec. `existing` lists jobs already in the database that new jobs may depend
 * on (dynamic additions), with their own ancestors.
 */
export function validateFlowSpec(
  spec: FlowSpec,
  existing?: ReadonlyMap<string, ReadonlySet<string>>,
): Issue[] {
  const issues: Issue[] = [];
  const file = spec.source;
  const names = new Set<string>();
  for (const j of spec.jobs) {
    if (names.has(j.name))
      issues.push({ file, job: j.name, field: "name", message: `duplicate job name "${j.name}"` });
    names.add(j.name);
  }
  const all = new Set([...names, ...(existing?.keys() ?? [])]);
  for (const j of spec.jobs) {
    j.parents.forEach((p, i) => {
      if (p === j.name)
        issues.push({ file, job: j.name, field: `parents[${i}]`, message: "a job cannot be its own parent" });
      else if (!all.has(p)) {
        issues.push({
          file,
          job: j.name,
          field: `parents[${i}]`,
          message: `unknown parent "${p}"${didYouMean(p, all)}`,
        });
      }
    });
    j.tasks.forEach((t, i) => {
      if (t.kind === "js" && !existsSync(t.module)) {
        issues.push({ file, job: j.name, field: `tasks[${i}].js`, message: `module not found: ${t.module}` });
      }
      if (t.kind === "py" && t.file !== undefined && !existsSync(t.file)) {
        issues.push({ file, job: j.name, field: `tasks[${i}].py`, message: `file not found: ${t.file}` });
      }
    });
  }
  if (issues.length > 0) return issues;
  const cycle = findCycle(spec.jobs);
  if (cycle) {
    return [{ file, job: cycle[0], field: "parents", message: `cycle: ${cycle.join(" → ")}` }];
  }
  const ancestors = ancestorSets(spec.jobs, existing);
  for (const j of spec.jobs) {
    let refs: ReturnType<typeof findReferences>;
    try {
      refs = findReferences(j.inputs);
    } catch (e) {
      issues.push({ file, job: j.name, field: "inputs", message: (e as Error).message });
      continue;
    }
    for (const r of refs) {
      // a job of another flow: it exists and becomes a parent when the flow is added (add-flow.ts)
      if (r.flow !== undefined) continue;
      if (!all.has(r.job)) {
        issues.push({
          file,
          job: j.name,
          field: r.at,
          message: `reference to unknown job "${r.job}"${didYouMean(r.job, all)}`,
        });
      } else if (!ancestors.get(j.name)?.has(r.job)) {
        issues.push({
          file,
          job: j.name,
          field: r.at,
          message: `reference \${{ ${formatReference(r)} }} points to "${r.job}", which is not an ancestor of "${j.name}" (add it to parents)`,
        });
      }
    }
  }
  return issues;
}
