/**
 * Resolve a job's inputs on the login side, before it is handed to any executor: output
 * references become the referenced values; a job that runs after failed parents also receives
 * their errors in `inputs._failedParents`.
 *
 * A job replaced by its action (model/action.ts, `replace`) stores the marker
 * {"$replacedBy": "<job>", "path": "a.b"} as its output: a reference to it reads that job's
 * output at that path instead, following chains of replacements (a replacement replaced in turn).
 */
import { findReferences, getPath, parsePath, resolveReferences } from "../flow/references.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "../model/json.ts";
import type { Job } from "../model/types.ts";
import type { StoreOps } from "../store/store.ts";

export class InputsError extends Error {
  override name = "InputsError";
}

/** The referenced job ended without an output (FAILED or CANCELLED): null for onMissingReference "null". */
class EndedWithoutOutput extends InputsError {}

/** Longest chain of replacements followed (a loop is reported long before this). */
const MAX_FORWARDS = 64;

/** The replacement a replaced job's output points to, or null for an ordinary output. */
export function replacedBy(outputs: JsonValue | null): { job: string; path: string } | null {
  if (!isPlainObject(outputs) || typeof outputs.$replacedBy !== "string") return null;
  const extra = Object.keys(outputs).filter((k) => k !== "$replacedBy" && k !== "path");
  if (extra.length > 0 || (outputs.path !== undefined && typeof outputs.path !== "string")) return null;
  return { job: outputs.$replacedBy, path: (outputs.path as string | undefined) ?? "" };
}

type Found = Map<string, { state: string; outputs: JsonValue | null }>;

/** Outputs of the named jobs and of the replacements they point to, a few queries in all. */
async function outputsFollowingReplacements(
  store: StoreOps,
  flowId: number,
  names: string[],
): Promise<Found> {
  const found: Found = new Map();
  let want = names;
  for (let i = 0; want.length > 0 && i < MAX_FORWARDS; i++) {
    const got = await store.outputsByName(flowId, want);
    for (const [k, v] of got) found.set(k, v);
    const next = [...got.values()].map((v) =>
      v.state === "COMPLETED" ? replacedBy(v.outputs)?.job : undefined,
    );
    want = [...new Set(next.filter((n): n is string => n !== undefined && !found.has(n)))];
  }
  return found;
}

/**
 * The output a reference to `name` reads: the job's own, or, for a replaced job, the output its
 * replacement chain ends at (each marker's path applied). Throws InputsError when there is none.
 */
function lookupOutput(found: Found, flowId: number, name: string): JsonValue | null {
  const chain: string[] = [];
  let current = name;
  for (;;) {
    const j = found.get(current);
    const what = chain.length === 0 ? `"${name}"` : `"${name}" (replaced by "${current}")`;
    if (!j) throw new InputsError(`reference to ${what}: no such job in flow ${flowId}`);
    if (j.state !== "COMPLETED") {
      const message = `reference to ${what}: it is ${j.state}, not COMPLETED, so it has no output`;
      throw j.state === "FAILED" || j.state === "CANCELLED"
        ? new EndedWithoutOutput(message)
        : new InputsError(message);
    }
    const next = replacedBy(j.outputs);
    if (!next) {
      // the markers' paths, innermost first: a's marker path applies to the output a points to
      let value = j.outputs;
      for (const step of chain) {
        const marker = replacedBy(found.get(step)!.outputs)!;
        if (marker.path === "") continue;
        value = getPath(value, parsePath(marker.path), `reference to "${name}" (replaced by "${current}")`);
      }
      return value;
    }
    chain.unshift(current);
    if (chain.includes(next.job) || chain.length > MAX_FORWARDS)
      throw new InputsError(
        `reference to "${name}": its replacements form a loop (${[...chain].reverse().join(" → ")} → ${next.job})`,
      );
    current = next.job;
  }
}

/**
 * For a job whose output was replaced (a `replace` action): the output its children read, or
 * why there is none yet (the replacement has not completed). null for a job not replaced.
 */
export async function replacementOutput(
  store: StoreOps,
  job: Job,
): Promise<
  | { job: string; path: string; value: JsonValue | null }
  | { job: string; path: string; pending: string }
  | null
> {
  const marker = job.state === "COMPLETED" ? replacedBy(job.outputs) : null;
  if (!marker) return null;
  const found = await outputsFollowingReplacements(store, job.flowId, [job.name]);
  try {
    return { ...marker, value: lookupOutput(found, job.flowId, job.name) };
  } catch (e) {
    if (e instanceof InputsError) return { ...marker, pending: e.message };
    throw e;
  }
}

/**
 * The job's inputs with every reference resolved (references to other flows included) and every
 * {"$literal": …} replaced by its content. With onMissingReference "null", a reference to a
 * FAILED or CANCELLED job, or to a path its output does not have, gives null.
 */
export async function resolveInputs(store: StoreOps, job: Job): Promise<JsonObject> {
  const names = new Map<number, Set<string>>();
  for (const r of findReferences(job.inputs)) {
    const flow = r.flow ?? job.flowId;
    names.set(flow, (names.get(flow) ?? new Set()).add(r.job));
  }
  const found = new Map<number, Found>();
  for (const [flow, list] of names)
    found.set(flow, await outputsFollowingReplacements(store, flow, [...list]));
  const nullable = job.onMissingReference === "null";
  const lookup = (name: string, flow = job.flowId) => {
    try {
      return lookupOutput(found.get(flow)!, flow, name);
    } catch (e) {
      if (nullable && e instanceof EndedWithoutOutput) return null;
      throw e;
    }
  };
  let inputs: JsonObject;
  try {
    inputs = resolveReferences(job.inputs, lookup, { missing: nullable ? "null" : "fail" }) as JsonObject;
  } catch (e) {
    throw e instanceof InputsError ? e : new InputsError((e as Error).message);
  }
  if (job.allowFailedParents) {
    const parentIds = (await store.parentsOf([job.id])).get(job.id) ?? [];
    const parents = await store.getJobs(parentIds);
    const failed = parents.filter((p) => p.state === "FAILED");
    if (failed.length > 0) {
      const runs = await store.currentRuns(failed.map((p) => p.id));
      inputs = {
        ...inputs,
        _failedParents: failed.map((p) => ({
          id: p.id,
          name: p.name,
          error: (runs.get(p.id)?.error ?? null) as unknown as JsonValue,
        })),
      };
    }
  }
  return inputs;
}
