/**
 * References to jobs of other flows (`{"$ref": "relax", "flow": 12}`, jobflow's
 * allow_external_references): the referenced job becomes a parent of the referencing one, an
 * edge across flows. Edges are plain rows, so everything that walks them crosses flows too:
 * the child waits for the parent, rerunning the parent resets the child, deleting the parent
 * deletes the child with it (as its other descendants), and `ferry flows show` lists the
 * parent by id.
 */
import { findReferences } from "../flow/references.ts";
import type { Issue } from "../model/errors.ts";
import type { JobSpec } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";

export interface ExternalParents {
  /** [parent id, child name] for every job of another flow a new job references. */
  edges: [number, string][];
  /** References to jobs that are not there (or archived). */
  issues: Issue[];
}

export async function externalParents(
  tx: StoreOps,
  jobs: readonly Pick<JobSpec, "name" | "inputs">[],
  file?: string,
): Promise<ExternalParents> {
  const wanted: { child: string; flow: number; job: string; at: string }[] = [];
  for (const j of jobs) {
    for (const r of findReferences(j.inputs)) {
      if (r.flow !== undefined) wanted.push({ child: j.name, flow: r.flow, job: r.job, at: r.at });
    }
  }
  const out: ExternalParents = { edges: [], issues: [] };
  if (wanted.length === 0) return out;
  const byFlow = new Map<number, Map<string, { id: number; state: string }>>();
  for (const flow of new Set(wanted.map((w) => w.flow))) {
    const names = [...new Set(wanted.filter((w) => w.flow === flow).map((w) => w.job))];
    // job names hold no glob characters ([A-Za-z0-9_-]), so each name matches only itself
    const found = await tx.findJobStates({ flowIds: [flow], names, includeArchived: true });
    byFlow.set(flow, new Map(found.map((f) => [f.name, { id: f.id, state: f.state }])));
  }
  const seen = new Set<string>();
  for (const w of wanted) {
    const parent = byFlow.get(w.flow)!.get(w.job);
    if (!parent || parent.state === "ARCHIVED") {
      out.issues.push({
        file,
        job: w.child,
        field: w.at,
        message: `reference to job "${w.job}" of flow ${w.flow}: ${parent ? "it is ARCHIVED" : "no such job"}`,
      });
      continue;
    }
    const key = `${parent.id}>${w.child}`;
    if (!seen.has(key)) out.edges.push([parent.id, w.child]);
    seen.add(key);
  }
  return out;
}
