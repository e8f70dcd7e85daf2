/**
 * Graph checks on a flow spec, after the schema: duplicate names, unknown parents, cycles,
 * references to jobs that are not ancestors. Every problem is reported (not just the first),
 * located by file, job and field. The cost is linear in jobs plus edges: ancestry is asked only
 * for the (job, referenced job) pairs that references name (ancestry.ts).
 */
import { existsSync } from "node:fs";
import type { Issue } from "../model/errors.ts";
import { didYouMean } from "../model/suggest.ts";
import type { FlowSpec, JobSpec } from "../model/types.ts";
import { Ancestry } from "./ancestry.ts";
import { type FoundReference, findReferences, formatReference } from "./references.ts";

/**
 * "Did you mean" compares a name with every other name: past a few dozen misses in a flow of
 * 100,000 jobs that is billions of comparisons for advice nobody reads that far.
 */
const SUGGESTIONS = 20;

/** One cycle as a list of names (first repeated at the end), in run order, or null. */
export function findCycle(jobs: readonly JobSpec[]): string[] | null {
  // Kahn's algorithm, iterative: a 100,000-job chain must not recurse 100,000 deep
  const children = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const j of jobs) waiting.set(j.name, 0);
  for (const j of jobs) {
    for (const p of j.parents) {
      if (!waiting.has(p)) continue;
      waiting.set(j.name, waiting.get(j.name)! + 1);
      const list = children.get(p);
      if (list) list.push(j.name);
      else children.set(p, [j.name]);
    }
  }
  const ready = jobs.filter((j) => waiting.get(j.name) === 0).map((j) => j.name);
  let done = 0;
  while (ready.length > 0) {
    const name = ready.pop()!;
    done++;
    for (const c of children.get(name) ?? []) {
      const left = waiting.get(c)! - 1;
      waiting.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  if (done === waiting.size) return null;
  // every job left waits for another job left: walking up from one must come back round
  const start = jobs.find((j) => waiting.get(j.name)! > 0)!;
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const at = new Map<string, number>();
  const path: string[] = [];
  let cur = start;
  while (!at.has(cur.name)) {
    at.set(cur.name, path.length);
    path.push(cur.name);
    cur = byName.get(cur.parents.find((p) => (waiting.get(p) ?? 0) > 0)!)!;
  }
  const cycle = path.slice(at.get(cur.name)!).reverse();
  return [...cycle, cycle[0]!];
}

/** A long cycle (a chain closed on itself) shown by its ends: the names between add nothing. */
function describeCycle(cycle: readonly string[]): string {
  if (cycle.length <= 12) return cycle.join(" → ");
  const shown = [...cycle.slice(0, 5), `… ${cycle.length - 10} more …`, ...cycle.slice(-5)];
  return `${shown.join(" → ")} (${cycle.length - 1} jobs)`;
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
  const all = existing ? new Set([...names, ...existing.keys()]) : names;
  let suggested = 0;
  const suggest = (name: string) => (suggested++ < SUGGESTIONS ? didYouMean(name, all) : "");
  const modules = new Map<string, boolean>();
  const moduleExists = (m: string) => modules.get(m) ?? modules.set(m, existsSync(m)).get(m)!;
  for (const j of spec.jobs) {
    const listed = new Set<string>();
    j.parents.forEach((p, i) => {
      const field = `parents[${i}]`;
      if (p === j.name) issues.push({ file, job: j.name, field, message: "a job cannot be its own parent" });
      else if (!all.has(p)) {
        issues.push({ file, job: j.name, field, message: `unknown parent "${p}"${suggest(p)}` });
      } else if (listed.has(p))
        issues.push({ file, job: j.name, field, message: `parent "${p}" is listed twice` });
      listed.add(p);
    });
    j.tasks.forEach((t, i) => {
      if (t.kind === "js" && !moduleExists(t.module)) {
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
    return [{ file, job: cycle[0], field: "parents", message: `cycle: ${describeCycle(cycle)}` }];
  }
  return referenceIssues(spec, all, existing);
}

/** References to unknown jobs, and to jobs that are not ancestors of the referring job. */
function referenceIssues(
  spec: FlowSpec,
  all: ReadonlySet<string>,
  existing?: ReadonlyMap<string, ReadonlySet<string>>,
): Issue[] {
  const file = spec.source;
  let suggested = 0;
  const suggest = (name: string) => (suggested++ < SUGGESTIONS ? didYouMean(name, all) : "");
  // in file order: an issue, or a reference whose ancestry only the graph can answer
  const found: (Issue | { job: JobSpec; ref: FoundReference })[] = [];
  const asks: (readonly [string, string])[] = [];
  for (const j of spec.jobs) {
    let refs: FoundReference[];
    try {
      refs = findReferences(j.inputs);
    } catch (e) {
      found.push({ file, job: j.name, field: "inputs", message: (e as Error).message });
      continue;
    }
    for (const r of refs) {
      // a job of another flow: it exists and becomes a parent when the flow is added (add-flow.ts)
      if (r.flow !== undefined) continue;
      if (!all.has(r.job)) {
        const message = `reference to unknown job "${r.job}"${suggest(r.job)}`;
        found.push({ file, job: j.name, field: r.at, message });
      } else if (!j.parents.includes(r.job)) {
        found.push({ job: j, ref: r });
        asks.push([r.job, j.name]);
      }
    }
  }
  const answers = asks.length > 0 ? ancestryOf(spec, existing).areAncestors(asks) : [];
  let next = 0;
  const issues: Issue[] = [];
  for (const f of found) {
    if (!("ref" in f)) issues.push(f);
    else if (!answers[next++]) {
      issues.push({
        file,
        job: f.job.name,
        field: f.ref.at,
        message: `reference \${{ ${formatReference(f.ref)} }} points to "${f.ref.job}", which is not an ancestor of "${f.job.name}" (add it to parents)`,
      });
    }
  }
  return issues;
}

/**
 * The new jobs' graph joined to the existing jobs they name: an existing job's ancestor set
 * becomes edges into it (reachability is the same through a closure's edges as through parents).
 */
function ancestryOf(spec: FlowSpec, existing?: ReadonlyMap<string, ReadonlySet<string>>): Ancestry {
  const fresh = new Set(spec.jobs.map((j) => j.name));
  function* edges(): Generator<readonly [string, string]> {
    for (const j of spec.jobs) for (const p of j.parents) yield [p, j.name];
    for (const [name, ancestors] of existing ?? []) {
      if (fresh.has(name)) continue;
      for (const a of ancestors) if (!fresh.has(a)) yield [a, name];
    }
  }
  const names = [...fresh];
  for (const [name, ancestors] of existing ?? []) names.push(name, ...ancestors);
  return new Ancestry({ names, edges: edges() });
}
