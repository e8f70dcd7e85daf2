/**
 * Add a flow atomically: the flow, its jobs, its edges and their first history rows are written
 * in one transaction, so an invalid or interrupted add leaves nothing behind.
 */
import { ValidationError } from "../model/errors.ts";
import type { FlowSpec, JobSpec } from "../model/types.ts";
import type { Store, StoreOps } from "../store/store.ts";
import { externalParents } from "./external-parents.ts";

export interface AddedFlow {
  flowId: number;
  name: string;
  /** job name → job id */
  jobIds: Record<string, number>;
}

export async function addFlow(
  store: Store,
  spec: FlowSpec,
  options: { now?: number } = {},
): Promise<AddedFlow> {
  return (await addFlows(store, [spec], options))[0]!;
}

/** Add several flows in one transaction: all of them, or none. */
export async function addFlows(
  store: Store,
  specs: readonly FlowSpec[],
  options: { now?: number } = {},
): Promise<AddedFlow[]> {
  // js tasks are checked by bundling them with esbuild: its module (9 MB of a process's peak
  // RSS) is loaded only for flows that have js tasks
  if (specs.some((s) => s.jobs.some((j) => j.tasks.some((t) => t.kind === "js")))) {
    const { checkJsTasks } = await import("../bundle/js-bundle.ts");
    for (const spec of specs) await checkJsTasks(spec.jobs, spec.source);
  }
  const now = options.now ?? Date.now();
  const added = await store.transaction(async (tx) => {
    const out: AddedFlow[] = [];
    for (const spec of specs) out.push(await insertFlowSpec(tx, spec, now));
    return out;
  });
  if (specs.reduce((n, s) => n + s.jobs.length, 0) >= ANALYZE_AFTER) {
    // the flows are in; stale planner statistics only slow claims down, so a failure here is no failure of the add
    await store.analyzeJobs().catch(() => {});
  }
  return added;
}

/** Jobs in one add past which the planner's statistics are refreshed (store.analyzeJobs). */
const ANALYZE_AFTER = 1000;

/**
 * Rows built and written per slice of the flow: building all of a 100,000-job flow's rows at
 * once held about 130 MB of parameters before the first statement ran.
 */
const SLICE = 500;

function* slices<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += SLICE) yield items.slice(i, i + SLICE);
}

/**
 * Insert one validated flow spec inside the caller's transaction. References to jobs of other
 * flows are checked here (they must exist) and become edges from those jobs.
 */
export async function insertFlowSpec(tx: StoreOps, spec: FlowSpec, now: number): Promise<AddedFlow> {
  const external = await externalParents(tx, spec.jobs, spec.source);
  if (external.issues.length > 0)
    throw new ValidationError(`invalid flow${spec.source ? ` in ${spec.source}` : ""}`, external.issues);
  const linked = new Set(external.edges.map(([, child]) => child));
  const first = (j: JobSpec) => (j.parents.length === 0 && !linked.has(j.name) ? "READY" : "WAITING");
  const flowId = await tx.insertFlow(spec.name, spec.metadata, now);
  const ids = new Map<string, number>();
  for (const slice of slices(spec.jobs)) {
    const got = await tx.insertJobs(
      flowId,
      slice.map((j) => ({
        name: j.name,
        state: first(j),
        tasks: j.tasks,
        inputs: j.inputs,
        resources: j.resources,
        worker: j.worker,
        category: j.category,
        priority: j.priority,
        metadata: j.metadata,
        allowFailedParents: j.allowFailedParents,
        label: j.label,
        env: j.env,
        preRun: j.preRun,
        onMissingReference: j.onMissingReference,
        unfinishedParents: j.parents.length,
      })),
      now,
    );
    got.forEach((id, name) => {
      ids.set(name, id);
    });
  }
  // every job's parents were inserted above: parents may come after their children in the file
  for (const slice of slices(spec.jobs)) {
    await tx.insertEdges(
      slice.flatMap((j) => j.parents.map((p) => [ids.get(p)!, ids.get(j.name)!] as const)),
    );
    await tx.insertEvents(
      slice.map((j) => ({ jobId: ids.get(j.name)!, runId: null, from: null, to: first(j), reason: "added" })),
      now,
    );
  }
  await tx.insertEdges(external.edges.map(([parent, child]) => [parent, ids.get(child)!] as const));
  if (linked.size > 0) {
    // other flows' parents may have completed already
    const children = [...linked].map((n) => ids.get(n)!);
    await tx.recountParents(children);
    await tx.promoteReady(children, now);
  }
  return { flowId, name: spec.name, jobIds: Object.fromEntries(ids) };
}
