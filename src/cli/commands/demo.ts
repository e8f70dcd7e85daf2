/**
 * `ferry demo` (= `npm start`): a throwaway project on the embedded default (SQLite, a local
 * pull worker), a fan-out/fan-in flow with sh and js tasks passing outputs through references,
 * run with a live progress display; then the job table and the final value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProject } from "../../config/load.ts";
import { addFlow } from "../../engine/add-flow.ts";
import { loadFlowFile } from "../../flow/parse.ts";
import { launch } from "../../launcher/launch.ts";
import type { Job } from "../../model/types.ts";
import { openStore } from "../../store/open.ts";
import type { Context } from "../context.ts";
import { attachProgress } from "../progress.ts";

export interface DemoResult {
  projectDir: string;
  flowId: number;
  jobs: Job[];
  pi: number | null;
  expectedPi: number;
  seconds: number;
  ok: boolean;
}

/** The value the flow must produce, computed here with the same generator and seeds. */
async function expectedPi(tasksModule: string): Promise<number> {
  const m = (await import(tasksModule)) as {
    sample: (i: { seed: number; samples: number }) => { samples: number; inside: number };
    combine: (i: { parts: unknown[] }) => { pi: number };
  };
  return m.combine({ parts: [11, 23, 37, 41].map((seed) => m.sample({ seed, samples: 250_000 })) }).pi;
}

export async function demo(ctx: Context, o: { keep?: boolean; dir?: string }): Promise<DemoResult> {
  const projectDir = o.dir ?? mkdtempSync(join(tmpdir(), "ferry-demo-"));
  const flowFile = fileURLToPath(new URL("../../../examples/demo/flow.yaml", import.meta.url));
  writeFileSync(
    join(projectDir, "ferry.yaml"),
    "workers:\n  local:\n    mode: pull\n    workDir: runs\n    concurrency: 2\n",
  );
  const project = loadProject({ project: projectDir });
  const store = await openStore(project.database);
  const started = Date.now();
  try {
    const added = await addFlow(store, loadFlowFile(flowFile));
    ctx.out.error(
      `ferry demo: project ${projectDir}\nflow ${added.flowId} "${added.name}": ${Object.keys(added.jobIds).length} jobs; running them with 2 at a time…\n`,
    );
    const progress = attachProgress(ctx.events, ctx.out, { total: Object.keys(added.jobIds).length });
    try {
      await launch(store, { project, worker: project.workers.local!, events: ctx.events, concurrency: 2 });
    } finally {
      progress.stop();
    }
    const jobs = await store.findJobs({ flowIds: [added.flowId] });
    const report = jobs.find((j) => j.name === "report");
    const pi = (report?.outputs as { pi?: number } | null)?.pi ?? null;
    const expected = await expectedPi(new URL("../../../examples/demo/tasks.mjs", import.meta.url).href);
    const ok = jobs.every((j) => j.state === "COMPLETED") && pi !== null && Math.abs(pi - expected) < 1e-12;
    return {
      projectDir,
      flowId: added.flowId,
      jobs,
      pi,
      expectedPi: expected,
      seconds: (Date.now() - started) / 1000,
      ok,
    };
  } finally {
    await store.close();
    if (!o.keep && !o.dir) rmSync(projectDir, { recursive: true, force: true });
  }
}
