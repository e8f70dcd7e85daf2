/**
 * The plan's new jobs against the database, before anything is written: names already used (and
 * the rerun rule), parents and references naming existing jobs, cycles through the edges a
 * detour or replace adds, js modules, and references written into children's inputs by edits.
 * Only the jobs the plan names are read — never the whole flow — so applying an action costs
 * the same in a flow of ten jobs and in one of a hundred thousand.
 */
import { checkJsTasks } from "../bundle/js-bundle.ts";
import { findReferences } from "../flow/references.ts";
import { validateFlowSpec } from "../flow/validate.ts";
import { type Issue, ValidationError } from "../model/errors.ts";
import type { Job } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";
import { ActionError, type TaskAction } from "./actions-context.ts";
import { fail, type NewJob, type Plan, type Scene } from "./actions-plan.ts";

const SKIP = { kind: "sh", command: "" } as const;

export interface Checked {
  insert: NewJob[];
  /** Names added by an earlier run of this job: not added again. */
  skipped: string[];
  /** name → id of every existing job the plan names (the acting job and its children included). */
  ids: Map<string, number>;
}

/** Jobs of the flow with these exact names (an indexed lookup first: most new names are free). */
async function jobsNamed(tx: StoreOps, flowId: number, names: readonly string[]): Promise<Map<string, Job>> {
  if (names.length === 0) return new Map();
  const found = await tx.outputsByName(flowId, names);
  if (found.size === 0) return new Map();
  const jobs = await tx.findJobs({ flowIds: [flowId], names: [...found.keys()], includeArchived: true });
  return new Map(jobs.filter((j) => found.has(j.name)).map((j) => [j.name, j]));
}

async function ancestorNames(tx: StoreOps, id: number): Promise<Set<string>> {
  const ids = await tx.ancestorsOf([id]);
  if (ids.length === 0) return new Set();
  return new Set((await tx.findJobStates({ ids, includeArchived: true })).map((j) => j.name));
}

function failIssues(issues: readonly Issue[], owners: Map<string, NewJob>, fallback: TaskAction): never {
  const byOwner = new Map<TaskAction, string[]>();
  for (const i of issues) {
    const owner = (i.job && owners.get(i.job)?.owner) || fallback;
    const where = [i.job && `job "${i.job}"`, i.field && `field "${i.field}"`].filter(Boolean).join(", ");
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), where ? `${where}: ${i.message}` : i.message]);
  }
  throw new ActionError([...byOwner].map(([o, list]) => `${o.label}: ${list.join("; ")}`).join("; "));
}

/** A cycle through a detour/replace edge: a new job that waits for a child it goes before. */
async function checkCycles(tx: StoreOps, plan: Plan, checked: Checked, scene: Scene): Promise<void> {
  const news = new Set(checked.insert.map((n) => n.spec.name));
  const outside = new Set(
    checked.insert.flatMap((n) => n.spec.parents).filter((p) => !news.has(p) && p !== scene.job.name),
  );
  if (plan.addEdges.length === 0 || outside.size === 0) return;
  const next = new Map<string, string[]>();
  const link = (a: string, b: string) => next.set(a, [...(next.get(a) ?? []), b]);
  for (const n of checked.insert) for (const p of n.spec.parents) link(p, n.spec.name);
  for (const [p, c] of plan.addEdges) link(p, c);
  for (const c of new Set(plan.addEdges.map(([, c]) => c))) {
    const below = await tx.descendantsOf([checked.ids.get(c)!]);
    const names = new Set((await tx.findJobStates({ ids: below, includeArchived: true })).map((j) => j.name));
    for (const x of outside) if (x === c || names.has(x)) link(c, x);
  }
  for (const [from, to] of plan.addEdges) {
    const seen = new Set<string>();
    const stack = [to];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      if (cur === from) {
        const owner = checked.insert.find((n) => n.spec.name === from)?.owner ?? plan.newJobs[0]!.owner;
        fail(owner, `"${to}" would wait for "${from}", which already waits for "${to}" (a cycle)`);
      }
      if (seen.has(cur)) continue;
      seen.add(cur);
      stack.push(...(next.get(cur) ?? []));
    }
  }
}

export async function checkPlan(tx: StoreOps, scene: Scene, plan: Plan): Promise<Checked> {
  const self = scene.job;
  if (plan.newJobs.length === 0 && plan.editRefs.size === 0) {
    return { insert: [], skipped: [], ids: new Map([[self.name, self.id]]) };
  }
  const owners = new Map<string, NewJob>();
  for (const n of plan.newJobs) {
    const prev = owners.get(n.spec.name);
    if (prev)
      fail(
        n.owner,
        `job name "${n.spec.name}" is used twice${prev.owner === n.owner ? "" : ` (also by ${prev.owner.label})`}`,
      );
    if (n.spec.name === self.name) fail(n.owner, `job name "${n.spec.name}" is the name of this job`);
    owners.set(n.spec.name, n);
  }
  const known = new Map<string, Job>(scene.children.map((c) => [c.name, c]));
  const wanted = new Set<string>();
  for (const n of plan.newJobs) {
    wanted.add(n.spec.name);
    for (const p of n.spec.parents) wanted.add(p);
    try {
      for (const r of findReferences(n.spec.inputs)) wanted.add(r.job);
    } catch {
      // malformed references are reported by validateFlowSpec below
    }
  }
  const lookup = [...wanted].filter((n) => n !== self.name && !known.has(n));
  for (const [name, j] of await jobsNamed(tx, self.flowId, lookup)) known.set(name, j);

  const checked: Checked = { insert: [], skipped: [], ids: new Map([[self.name, self.id]]) };
  for (const [name, j] of known) checked.ids.set(name, j.id);
  for (const n of plan.newJobs) {
    const there = known.get(n.spec.name);
    if (!there) {
      checked.insert.push(n);
      continue;
    }
    if (there.addedByRun !== null && scene.myRuns.has(there.addedByRun)) checked.skipped.push(n.spec.name);
    else
      fail(
        n.owner,
        `job name "${n.spec.name}" is already used in this flow (job ${there.id}, ${there.state})`,
      );
  }

  const spec = { name: "action", metadata: {}, jobs: checked.insert.map((n) => n.spec) };
  const names = [self.name, ...known.keys()];
  let issues = validateFlowSpec(spec, new Map(names.map((n) => [n, new Set<string>()])));
  if (issues.length > 0) {
    // empty ancestor sets under-approximate: recheck with the real ancestors of existing parents
    const parents = new Set(spec.jobs.flatMap((j) => j.parents));
    const sets = new Map<string, Set<string>>();
    for (const n of names) {
      sets.set(n, parents.has(n) ? await ancestorNames(tx, checked.ids.get(n)!) : new Set<string>());
    }
    issues = validateFlowSpec(spec, sets);
  }
  if (issues.length > 0) failIssues(issues, owners, plan.newJobs[0]!.owner);
  await checkCycles(tx, plan, checked, scene);

  const refs = [...plan.editRefs].filter(([name]) => !plan.beforeChildren.has(name));
  if (refs.length > 0) {
    const ancestors = await ancestorNames(tx, self.id);
    for (const [name, owner] of refs) {
      if (!ancestors.has(name)) {
        fail(
          owner,
          `an input edit references "${name}", which the children do not wait for (they may read the outputs of "${self.name}", its ancestors, and the jobs of a detour or replacement)`,
        );
      }
    }
  }
  // modules this job already runs were checked when it was added: check only the new ones, since
  // esbuild runs inside the transaction (on SQLite, while holding the write lock)
  const bundled = new Set(self.tasks.map((t) => (t.kind === "js" ? `${t.module}#${t.export}` : "")));
  const fresh = spec.jobs.map((j) => ({
    name: j.name,
    tasks: j.tasks.map((t) => (t.kind === "js" && bundled.has(`${t.module}#${t.export}`) ? SKIP : t)),
  }));
  try {
    await checkJsTasks(fresh);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    failIssues(e.issues, owners, plan.newJobs[0]!.owner);
  }
  return checked;
}
