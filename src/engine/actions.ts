/**
 * Dynamic workflows: apply the actions a finished job's tasks returned (what each field means,
 * in which order, and what reruns do: model/action.ts). Called by outcome.ts inside a savepoint,
 * while the job is still active; right after, outcome.ts completes it and releases its children.
 *
 * Four steps, so that nothing is written unless everything is valid: parse each task's action
 * (schema), load what the actions see of the graph, plan every change in task order
 * (actions-plan.ts) and check it against the database (actions-check.ts), then write it through
 * the store (actions-apply.ts). Any problem is an ActionError: the job FAILS with its message.
 */
import { parseAction } from "../model/action.ts";
import type { Job } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";
import { applyPlan } from "./actions-apply.ts";
import { checkPlan } from "./actions-check.ts";
import { type ActionContext, ActionError, type ActionResult, type TaskAction } from "./actions-context.ts";
import { planActions, type Scene } from "./actions-plan.ts";

export { type ActionContext, ActionError, type ActionResult } from "./actions-context.ts";

/** `task 1 "split" (js)`: the words the wrapper's errors use for a task, too. */
function taskLabel(job: Job, i: number): string {
  const t = job.tasks[i];
  return `task ${i}${t?.name ? ` "${t.name}"` : ""} (${t?.kind ?? "?"})`;
}

function parseActions(ctx: ActionContext): TaskAction[] {
  const out: TaskAction[] = [];
  ctx.actions.forEach((raw, task) => {
    if (raw === null) return;
    const label = taskLabel(ctx.job, task);
    const got = parseAction(raw);
    if ("problems" in got) throw new ActionError(`${label}: ${got.problems.join("; ")}`);
    out.push({ task, label, action: got.action });
  });
  return out;
}

const PASSIVE = new Set(["output", "storedData", "exit"]);
/** Fields that act on the children (their rows are locked: a concurrent parent waits its turn). */
const ON_CHILDREN = ["updateChildren", "modifyChildren", "detour", "replace", "stopChildren"] as const;

/** Jobs added by this job's own runs are not its "children" for actions (the rerun rule). */
async function loadScene(tx: StoreOps, ctx: ActionContext, actions: readonly TaskAction[]): Promise<Scene> {
  const scene: Scene = { job: ctx.job, myRuns: new Set(), children: [], descendants: [] };
  if (actions.every((t) => Object.keys(t.action).every((k) => PASSIVE.has(k)))) return scene;
  scene.myRuns = new Set((await tx.runsOfJobs([ctx.job.id], { includeArchived: true })).map((r) => r.id));
  if (!actions.some((t) => ON_CHILDREN.some((k) => t.action[k] !== undefined))) return scene;
  const own = (j: Job) => j.addedByRun === null || !scene.myRuns.has(j.addedByRun);
  const childIds = (await tx.childrenOf([ctx.job.id])).get(ctx.job.id) ?? [];
  scene.children = (await tx.getJobs(childIds, { forUpdate: true })).filter(own);
  const propagates = actions.some(
    (t) => t.action.updateChildren?.propagate || t.action.modifyChildren?.propagate,
  );
  if (!propagates) return scene;
  const seen = new Set([ctx.job.id, ...scene.children.map((c) => c.id)]);
  scene.descendants = [...scene.children];
  let frontier = scene.children.map((c) => c.id);
  while (frontier.length > 0) {
    const next = [...(await tx.childrenOf(frontier)).values()].flat().filter((id) => !seen.has(id));
    for (const id of next) seen.add(id);
    const jobs = (await tx.getJobs([...new Set(next)], { forUpdate: true })).filter(own);
    scene.descendants.push(...jobs);
    frontier = jobs.map((j) => j.id);
  }
  return scene;
}

export async function applyActions(tx: StoreOps, ctx: ActionContext): Promise<ActionResult> {
  const actions = parseActions(ctx);
  const scene = await loadScene(tx, ctx, actions);
  const plan = planActions(ctx, scene, actions);
  const checked = await checkPlan(tx, scene, plan);
  return applyPlan(tx, ctx, scene, plan, checked);
}
