/**
 * A job's actions → one plan (outputs, stops, input edits, new jobs, edge changes), checked
 * whole before anything is written: schema, names, the refusal rule of detour/replace, and the
 * graph of the new jobs together with the existing jobs they name (validateFlowSpec).
 */
import { dirname } from "node:path";
import { findReferences } from "../flow/references.ts";
import type { Action } from "../model/action.ts";
import { formatIssue } from "../model/errors.ts";
import type { JsonObject, JsonValue } from "../model/json.ts";
import type { JobState } from "../model/states.ts";
import type { Job, JobSpec } from "../model/types.ts";
import { type ActionContext, ActionError, type TaskAction } from "./actions-context.ts";
import { EditError, modifyInputs, updateInputs } from "./actions-inputs.ts";
import {
  hangRoots,
  inheritedDefaults,
  leavesOf,
  prefixGroup,
  replacedMarker,
  replaceOutput,
  specsOf,
} from "./actions-specs.ts";

/** States of jobs that have not run: their inputs and parents may still change. */
export const NOT_RUN: readonly JobState[] = ["WAITING", "READY", "PAUSED", "CANCELLED"];

/** What the actions see of the graph when the job finished (engine/actions.ts loads it). */
export interface Scene {
  job: Job;
  /** Ids of every run of the job, archived ones included (the rerun rule). */
  myRuns: Set<number>;
  /** The job's children, not counting jobs added by its own runs' actions. */
  children: Job[];
  /** Children and their descendants (loaded only when an edit propagates). */
  descendants: Job[];
}

export interface NewJob {
  spec: JobSpec;
  owner: TaskAction;
}

export interface Plan {
  outputs?: JsonValue;
  storedData?: JsonObject;
  stopChildren: boolean;
  stopFlow: boolean;
  /** Job id → its inputs after every edit. */
  edits: Map<number, JsonObject>;
  untouched: Set<number>;
  newJobs: NewJob[];
  /** parent name → child name */
  addEdges: [string, string][];
  removeEdges: [string, string][];
  /** Names referenced by edit values other than the job itself: must be its ancestors. */
  editRefs: Map<string, TaskAction>;
  /** New jobs every child will wait for (detours, the replacement's output job and its ancestors). */
  beforeChildren: Set<string>;
}

export function fail(owner: TaskAction, message: string): never {
  throw new ActionError(`${owner.label}: ${message}`);
}

function baseDirOf(ctx: ActionContext, task: number): string | null {
  const t = ctx.job.tasks[task];
  if (t?.kind === "js") return dirname(t.module);
  return t?.kind === "py" && t.file !== undefined ? dirname(t.file) : null;
}

function collectEditRefs(plan: Plan, owner: TaskAction, field: string, values: JsonValue[], self: string) {
  for (const v of values) {
    let refs: ReturnType<typeof findReferences>;
    try {
      refs = findReferences(v, field);
    } catch (e) {
      fail(owner, `${field}: ${(e as Error).message}`);
    }
    for (const r of refs) {
      // the children would not wait for a job of another flow: refuse rather than fail them later
      if (r.flow !== undefined)
        fail(owner, `${field}: an input edit cannot reference "${r.job}" of flow ${r.flow} (another flow)`);
      if (r.job !== self && !plan.editRefs.has(r.job)) plan.editRefs.set(r.job, owner);
    }
  }
}

function planEdits(plan: Plan, owner: TaskAction, scene: Scene, a: Action): void {
  const self = scene.job.name;
  const edit = (propagate: boolean | undefined, fn: (inputs: JsonObject) => JsonObject, what: string) => {
    for (const t of propagate ? scene.descendants : scene.children) {
      if (!NOT_RUN.includes(t.state)) {
        plan.untouched.add(t.id);
        continue;
      }
      try {
        plan.edits.set(t.id, fn(plan.edits.get(t.id) ?? t.inputs));
      } catch (e) {
        if (!(e instanceof EditError)) throw e;
        fail(owner, `${what}: child "${t.name}": ${e.message}`);
      }
    }
  };
  if (a.updateChildren) {
    const u = a.updateChildren;
    collectEditRefs(plan, owner, "updateChildren.inputs", Object.values(u.inputs), self);
    edit(u.propagate, (inputs) => updateInputs(inputs, u.inputs as JsonObject), "updateChildren");
  }
  if (a.modifyChildren) {
    const m = a.modifyChildren;
    const values = [...Object.values(m.set ?? {}), ...Object.values(m.push ?? {})];
    values.push(...Object.values(m.pushAll ?? {}).flat());
    collectEditRefs(plan, owner, "modifyChildren", values as JsonValue[], self);
    edit(m.propagate, (inputs) => modifyInputs(inputs, m), "modifyChildren");
  }
}

/** detour and replace go before the children: refused when one already ran or runs. */
function checkChildrenWait(owner: TaskAction, scene: Scene, what: string): Job[] {
  const live = scene.children.filter((c) => c.state !== "ARCHIVED");
  const ran = live.filter((c) => !NOT_RUN.includes(c.state));
  if (ran.length > 0) {
    const list = ran.map((c) => `child "${c.name}" is ${c.state}`).join(", ");
    fail(owner, `${what} refused: ${list}; a ${what} can only go before children that have not run yet`);
  }
  return live;
}

function groupSpecs(ctx: ActionContext, owner: TaskAction, entries: Action["addJobs"]): JobSpec[] {
  const got = specsOf(entries ?? [], {
    baseDir: baseDirOf(ctx, owner.task),
    defaults: inheritedDefaults(ctx.job),
  });
  if ("issues" in got) fail(owner, got.issues.map(formatIssue).join("; "));
  return got.specs;
}

function planNewJobs(plan: Plan, owner: TaskAction, ctx: ActionContext, scene: Scene, a: Action): void {
  const self = ctx.job.name;
  const add = (specs: JobSpec[]) => plan.newJobs.push(...specs.map((spec) => ({ spec, owner })));
  if (a.addJobs && a.addJobs.length > 0) {
    add(groupSpecs(ctx, owner, a.addJobs).map((s) => (s.parents.length > 0 ? s : { ...s, parents: [self] })));
  }
  if (a.addFlow) {
    const f = a.addFlow;
    add(
      hangRoots(prefixGroup(groupSpecs(ctx, owner, f.jobs), f.name, (f.metadata ?? {}) as JsonObject), self),
    );
  }
  if (a.detour) {
    const children = checkChildrenWait(owner, scene, "detour");
    const specs = hangRoots(groupSpecs(ctx, owner, a.detour.jobs), self);
    for (const leaf of leavesOf(specs)) for (const c of children) plan.addEdges.push([leaf, c.name]);
    for (const s of specs) plan.beforeChildren.add(s.name);
    add(specs);
  }
  if (a.replace) {
    const children = checkChildrenWait(owner, scene, "replace");
    const specs = hangRoots(groupSpecs(ctx, owner, a.replace.jobs), self);
    for (const s of specs) {
      let own: ReturnType<typeof findReferences>[number] | undefined;
      try {
        own = findReferences(s.inputs).find((r) => r.job === self);
      } catch {
        // a malformed reference is reported with the others by actions-check.ts
      }
      if (own) {
        fail(
          owner,
          `replace: job "${s.name}" references "${self}" (${own.at}), whose output will be the replacement's; pass the values in its inputs instead`,
        );
      }
    }
    let target: ReturnType<typeof replaceOutput>;
    try {
      target = replaceOutput(a.replace.output, specs);
    } catch (e) {
      fail(owner, `replace: ${(e as Error).message}`);
    }
    for (const c of children) {
      plan.removeEdges.push([self, c.name]);
      plan.addEdges.push([target.job, c.name]);
    }
    plan.outputs = replacedMarker(target);
    for (const name of ancestorsInGroup(specs, target.job)) plan.beforeChildren.add(name);
    add(specs);
  }
}

/** `name` and its ancestors among `specs`. */
function ancestorsInGroup(specs: readonly JobSpec[], name: string): Set<string> {
  const parents = new Map(specs.map((s) => [s.name, s.parents]));
  const out = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (out.has(n) || !parents.has(n)) continue;
    out.add(n);
    stack.push(...parents.get(n)!);
  }
  return out;
}

/** Everything the actions ask, in task order; throws ActionError at the first invalid part. */
export function planActions(ctx: ActionContext, scene: Scene, actions: readonly TaskAction[]): Plan {
  const plan: Plan = {
    stopChildren: false,
    stopFlow: false,
    edits: new Map(),
    untouched: new Set(),
    newJobs: [],
    addEdges: [],
    removeEdges: [],
    editRefs: new Map(),
    beforeChildren: new Set(),
  };
  const replaces = actions.filter((t) => t.action.replace);
  const outputs = actions.filter((t) => t.action.output !== undefined);
  if (replaces.length > 1) fail(replaces[1]!, `replace: ${replaces[0]!.label} already replaces this job`);
  if (replaces.length > 0 && outputs.length > 0) {
    fail(
      outputs[0]!,
      `output cannot be combined with replace (${replaces[0]!.label}): the replacement gives the output`,
    );
  }
  for (const owner of actions) {
    const a = owner.action;
    if (a.output !== undefined) plan.outputs = a.output as JsonValue;
    if (a.storedData) plan.storedData = { ...(plan.storedData ?? {}), ...(a.storedData as JsonObject) };
    plan.stopChildren ||= a.stopChildren === true;
    plan.stopFlow ||= a.stopFlow === true;
    planEdits(plan, owner, scene, a);
    planNewJobs(plan, owner, ctx, scene, a);
  }
  return plan;
}
