/**
 * Write a checked plan through the store: stops, input edits, new jobs, edges, exact parent
 * counters, and one job_events row for every job created or changed. Runs inside the savepoint
 * outcome.ts opens, so a failure here leaves nothing behind.
 *
 * Counters: every job whose parent set changed is recounted from the edges (the acting job is
 * still active, so it counts as unfinished), then READY jobs that gained unfinished parents go
 * back to WAITING and WAITING jobs with none left become READY. outcome.ts then completes the
 * job and releases its current children — the new ones included.
 */
import type { JsonObject } from "../model/json.ts";
import type { StoreOps } from "../store/store.ts";
import type { Checked } from "./actions-check.ts";
import { type ActionContext, ActionError, type ActionResult } from "./actions-context.ts";
import type { Plan, Scene } from "./actions-plan.ts";
import { externalParents } from "./external-parents.ts";

const NOT_STARTED = ["WAITING", "READY", "PAUSED"] as const;

async function stops(tx: StoreOps, ctx: ActionContext, scene: Scene, plan: Plan): Promise<number[]> {
  const by = `"${ctx.job.name}"`;
  const cancelled: number[] = [];
  const cancel = async (ids: number[], reason: string) => {
    const moved = await tx.transitionJobs(ids, {
      from: NOT_STARTED,
      to: "CANCELLED",
      reason,
      runId: ctx.runId,
      now: ctx.now,
    });
    cancelled.push(...moved.map((m) => m.id));
  };
  if (plan.stopChildren)
    await cancel(
      scene.children.map((c) => c.id),
      `stopped by parent ${by}`,
    );
  if (plan.stopFlow) {
    const rest = await tx.findJobStates({ flowIds: [ctx.job.flowId], states: NOT_STARTED });
    await cancel(
      rest.map((j) => j.id),
      `flow stopped by ${by}`,
    );
  }
  return cancelled;
}

/** Edges to insert, without those that already exist (a rerun re-linking skipped jobs). */
async function freshEdges(tx: StoreOps, pairs: [number, number][]): Promise<[number, number][]> {
  const unique = [...new Map(pairs.map((p) => [`${p[0]}>${p[1]}`, p])).values()];
  const parents = await tx.parentsOf([...new Set(unique.map(([, c]) => c))]);
  return unique.filter(([p, c]) => !(parents.get(c) ?? []).includes(p));
}

/**
 * Insert the new jobs in a nested savepoint: on PostgreSQL another job of the flow may have
 * taken one of the names since they were checked, and that must fail this job with a reason,
 * not abort the whole completion.
 */
async function insertNewJobs(
  tx: StoreOps,
  ctx: ActionContext,
  checked: Checked,
): Promise<Map<string, number>> {
  const { job, runId, now } = ctx;
  try {
    return await tx.savepoint(() =>
      tx.insertJobs(
        job.flowId,
        checked.insert.map(({ spec }) => ({
          name: spec.name,
          state: "WAITING",
          tasks: spec.tasks,
          inputs: spec.inputs,
          resources: spec.resources,
          worker: spec.worker,
          category: spec.category,
          priority: spec.priority,
          metadata: spec.metadata as JsonObject,
          allowFailedParents: spec.allowFailedParents,
          label: spec.label,
          env: spec.env,
          preRun: spec.preRun,
          onMissingReference: spec.onMissingReference,
          unfinishedParents: spec.parents.length,
          addedByRun: runId,
        })),
        now,
      ),
    );
  } catch (e) {
    const names = checked.insert.map((n) => n.spec.name);
    const taken = await tx.outputsByName(job.flowId, names);
    if (taken.size === 0) throw e;
    const first = checked.insert.find((n) => taken.has(n.spec.name))!;
    throw new ActionError(
      `${first.owner.label}: job name "${first.spec.name}" was just taken by another job of this flow`,
    );
  }
}

export async function applyPlan(
  tx: StoreOps,
  ctx: ActionContext,
  scene: Scene,
  plan: Plan,
  checked: Checked,
): Promise<ActionResult> {
  const { job, runId, now } = ctx;
  const why = `action of "${job.name}" (run ${runId})`;
  const cancelled = await stops(tx, ctx, scene, plan);
  const changed = new Map<number, string[]>();
  const note = (id: number, what: string) => changed.set(id, [...(changed.get(id) ?? []), what]);

  for (const [id, inputs] of plan.edits) {
    await tx.updateJobs([id], { inputs }, now);
    note(id, "inputs edited");
  }

  const ids = new Map(checked.ids);
  const added: number[] = [];
  if (checked.insert.length > 0) {
    const created = await insertNewJobs(tx, ctx, checked);
    for (const [name, id] of created) {
      ids.set(name, id);
      added.push(id);
    }
    await tx.insertEvents(
      added.map((id) => ({ jobId: id, runId, from: null, to: "WAITING", reason: `added by the ${why}` })),
      now,
    );
  }

  const id = (name: string) => ids.get(name)!;
  const pair = ([p, c]: [string, string]): [number, number] => [id(p), id(c)];
  const newEdges = checked.insert.flatMap((n) => n.spec.parents.map((p) => pair([p, n.spec.name])));
  const external = await externalParents(
    tx,
    checked.insert.map((n) => n.spec),
  );
  if (external.issues.length > 0) {
    const i = external.issues[0]!;
    const owner = checked.insert.find((n) => n.spec.name === i.job)!.owner;
    throw new ActionError(`${owner.label}: job "${i.job}", field "${i.field}": ${i.message}`);
  }
  newEdges.push(...external.edges.map(([p, c]): [number, number] => [p, id(c)]));
  const links = await freshEdges(tx, plan.addEdges.map(pair));
  await tx.insertEdges([...newEdges, ...links]);
  const unlink = plan.removeEdges.map(pair);
  await tx.deleteEdges(unlink);
  for (const [p, c] of plan.addEdges) {
    if (links.some(([lp, lc]) => lp === id(p) && lc === id(c))) note(id(c), `waits for "${p}"`);
  }
  for (const [p, c] of plan.removeEdges) note(id(c), `no longer waits for "${p}"`);

  // children of stopped jobs that run once such parents end (onMissingReference "null")
  const afterStopped = cancelled.length > 0 ? [...(await tx.childrenOf(cancelled)).values()].flat() : [];
  const recount = [
    ...new Set([...added, ...links.map(([, c]) => c), ...unlink.map(([, c]) => c), ...afterStopped]),
  ];
  if (recount.length > 0) {
    await tx.recountParents(recount);
    await tx.demoteWaiting(recount, now);
    await tx.promoteReady(recount, now);
  }

  // one history row per changed job, in the state it is in now (stops and demotions included)
  const modified = [...changed.keys()];
  if (modified.length > 0) {
    const states = await tx.findJobStates({ ids: modified, includeArchived: true });
    await tx.insertEvents(
      states.map((s) => ({
        jobId: s.id,
        runId,
        from: s.state,
        to: s.state,
        reason: `${changed.get(s.id)!.join(", ")} by the ${why}`,
      })),
      now,
    );
  }
  return {
    added,
    modified,
    cancelled,
    skipped: checked.skipped,
    untouched: [...plan.untouched],
    ...(plan.outputs !== undefined ? { outputs: plan.outputs } : {}),
    ...(plan.storedData !== undefined ? { storedData: plan.storedData } : {}),
  };
}
