/**
 * An in-process project for engine tests: a temp folder, a project on the given dialect's fresh
 * database, and helpers to add flows and run the real pull launcher.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ResolvedProject, resolveProject } from "../../src/config/load.ts";
import { addFlow } from "../../src/engine/add-flow.ts";
import { flowSpecFromObject, parseFlowText } from "../../src/flow/parse.ts";
import { type LaunchOptions, type LaunchSummary, launch } from "../../src/launcher/launch.ts";
import { FerryEvents } from "../../src/model/events.ts";
import type { DatabaseTarget, Job } from "../../src/model/types.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import type { DialectCase } from "./stores.ts";
import { tempDir } from "./stores.ts";

export interface TestProject extends AsyncDisposable {
  dir: string;
  project: ResolvedProject;
  store: Store;
  /** Add a flow written in YAML (relative js paths resolve against the project folder). */
  add(yaml: string): Promise<Record<string, number>>;
  launch(options?: Partial<LaunchOptions>): Promise<LaunchSummary>;
  job(id: number): Promise<Job>;
  /** name → job, for one flow. */
  jobs(flowId?: number): Promise<Record<string, Job>>;
  file(name: string, text: string): string;
}

/**
 * `workerExtra` adds options to the pull worker "local"; `workers` adds more workers (an offline
 * one, say). The database target can be given (a throwaway PostgreSQL cluster). The project is
 * also written to ferry.yaml, so CLI processes can work on it.
 */
export async function testProject(
  d: DialectCase | null,
  workerExtra: Record<string, unknown> = {},
  options: {
    workers?: Record<string, unknown>;
    target?: { target: DatabaseTarget; dispose(): Promise<void> };
    /** The project's runner settings (leaseSeconds, backoff…). */
    runner?: Record<string, unknown>;
  } = {},
): Promise<TestProject> {
  const dir = tempDir("ferry-proj-");
  const { target, dispose } = options.target ?? (await d!.newTarget());
  const database =
    target.kind === "sqlite"
      ? { sqlite: target.path }
      : { postgres: target.url, ...(target.schema ? { schema: target.schema } : {}) };
  const raw = {
    database,
    workers: {
      local: { mode: "pull", workDir: "runs", leaseSeconds: 30, ...workerExtra },
      ...options.workers,
    },
    ...(options.runner ? { runner: options.runner } : {}),
  };
  writeFileSync(join(dir, "ferry.yaml"), JSON.stringify(raw));
  const project = resolveProject(raw, join(dir, "ferry.yaml"));
  const store = await openStore(project.database);
  let lastFlow = 0;
  return {
    dir,
    project,
    store,
    file(name, text) {
      const p = join(dir, name);
      mkdirSync(join(p, ".."), { recursive: true });
      writeFileSync(p, text);
      return p;
    },
    async add(yaml) {
      const added = await addFlow(
        store,
        flowSpecFromObject(parseFlowText(yaml, "flow.yaml"), { baseDir: dir, source: "flow.yaml" }),
      );
      lastFlow = added.flowId;
      return added.jobIds;
    },
    launch(options = {}) {
      return launch(store, {
        project,
        worker: project.workers.local!,
        events: new FerryEvents(),
        concurrency: 2,
        maxPollMs: 100,
        ...options,
      });
    },
    async job(id) {
      const j = await store.getJob(id);
      if (!j) throw new Error(`no job ${id}`);
      return j;
    },
    async jobs(flowId) {
      const list = await store.findJobs({ flowIds: [flowId ?? lastFlow], includeArchived: true });
      return Object.fromEntries(list.map((j) => [j.name, j]));
    },
    async [Symbol.asyncDispose]() {
      await store.close();
      await dispose();
    },
  };
}
