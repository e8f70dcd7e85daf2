/**
 * Shared set-up for the action tests: a fresh store (SQLite or PostgreSQL), a project with one
 * pull worker, task modules in a temp dir, and the real launcher to run flows to the end.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DialectCase, tempDir } from "../../test/helpers/stores.ts";
import { resolveProject } from "../config/load.ts";
import { launch } from "../launcher/launch.ts";
import { FerryEvents } from "../model/events.ts";
import type { JsonObject } from "../model/json.ts";
import type { Job } from "../model/types.ts";
import type { Store } from "../store/store.ts";

const TASKS = `
import { readFileSync } from "node:fs";
// the action of task i is read from a file, so references in it are not resolved as inputs
export function act(inputs, context) {
  const action = JSON.parse(readFileSync(inputs.actionFiles[context.task], "utf8"));
  const output = inputs.outputs?.[context.task];
  return output === undefined ? { $action: action } : { output, $action: action };
}
export function echo(inputs) {
  const { actionFiles, outputs, ...rest } = inputs;
  return rest;
}
export function double(inputs) {
  return { value: inputs.x * 2 };
}
`;

export interface Kit extends AsyncDisposable {
  store: Store;
  dir: string;
  /** The js task spec of an export of the test module. */
  task(name: "act" | "echo" | "double"): string;
  /** Tasks and inputs of a job whose js tasks return these actions (and outputs), in order. */
  acting(
    name: string,
    actions: object[],
    outputs?: object[],
  ): { tasks: { js: string }[]; inputs: JsonObject };
  run(concurrency?: number): Promise<{ completed: number; failed: number }>;
  jobs(flowId: number): Promise<Record<string, Job>>;
  /** "parent>child" by name, sorted. */
  edges(flowId: number): Promise<string[]>;
  error(jobId: number): Promise<string | undefined>;
}

export async function openKit(d: DialectCase): Promise<Kit> {
  const t = await d.open();
  const dir = tempDir("ferry-actions-");
  writeFileSync(join(dir, "tasks.mjs"), TASKS);
  const target = t.target;
  const project = resolveProject(
    {
      database:
        target.kind === "sqlite" ? { sqlite: target.path } : { postgres: target.url, schema: target.schema },
      workers: { local: { mode: "pull", workDir: "runs" } },
    },
    join(dir, "ferry.yaml"),
  );
  const store = t.store;
  let files = 0;
  const kit: Kit = {
    store,
    dir,
    task: (name) => `${join(dir, "tasks.mjs")}#${name}`,
    acting(name, actions, outputs) {
      const actionFiles = actions.map((a, i) => {
        const file = join(dir, `${name}-${i}-${++files}.action.json`);
        writeFileSync(file, JSON.stringify(a));
        return file;
      });
      return {
        tasks: actions.map(() => ({ js: kit.task("act") })),
        inputs: { actionFiles, ...(outputs ? { outputs: outputs as JsonObject[] } : {}) },
      };
    },
    async run(concurrency = 1) {
      const events = new FerryEvents();
      const s = await launch(store, {
        project,
        worker: project.workers.local!,
        events,
        concurrency,
        maxPollMs: 20,
      });
      return { completed: s.completed, failed: s.failed };
    },
    async jobs(flowId) {
      return Object.fromEntries((await store.findJobs({ flowIds: [flowId] })).map((j) => [j.name, j]));
    },
    async edges(flowId) {
      const names = new Map((await store.findJobs({ flowIds: [flowId] })).map((j) => [j.id, j.name]));
      return (await store.edgesOfFlow(flowId)).map(([p, c]) => `${names.get(p)}>${names.get(c)}`).sort();
    },
    async error(jobId) {
      return (await store.currentRuns([jobId])).get(jobId)?.error?.message;
    },
    [Symbol.asyncDispose]: () => t[Symbol.asyncDispose](),
  };
  return kit;
}
