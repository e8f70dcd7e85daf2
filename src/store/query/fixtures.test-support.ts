/** Building jobs and runs for the query tests (not a test file itself). */
import type { JsonObject, JsonValue } from "../../model/json.ts";
import type { NewJob, Store } from "../store.ts";

export function newJob(name: string, over: Partial<NewJob> = {}): NewJob {
  return {
    name,
    state: "READY",
    tasks: [{ kind: "sh", command: "true" }],
    inputs: {},
    resources: {},
    worker: null,
    category: null,
    priority: 0,
    metadata: {},
    allowFailedParents: false,
    unfinishedParents: 0,
    ...over,
  };
}

export interface JobSeed {
  job: NewJob;
  outputs?: JsonValue;
  storedData?: JsonObject;
  createdAt?: number;
}

/** Inserts the jobs into one flow (one `now` per distinct createdAt); returns name → id. */
export async function seedJobs(
  store: Store,
  seeds: readonly JobSeed[],
  now = 1_700_000_000_000,
): Promise<Map<string, number>> {
  return store.transaction(async (tx) => {
    const flowId = await tx.insertFlow("query-test", {}, now);
    const ids = new Map<string, number>();
    for (const seed of seeds) {
      const at = seed.createdAt ?? now;
      const inserted = await tx.insertJobs(flowId, [seed.job], at);
      const id = inserted.get(seed.job.name)!;
      ids.set(seed.job.name, id);
      if (seed.outputs !== undefined || seed.storedData !== undefined) {
        await tx.updateJobs(
          [id],
          {
            ...(seed.outputs !== undefined ? { outputs: seed.outputs } : {}),
            ...(seed.storedData !== undefined ? { storedData: seed.storedData } : {}),
          },
          at,
        );
      }
    }
    return ids;
  });
}
