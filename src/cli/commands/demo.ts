/**
 * `ferry demo` (= `npm start`): a throwaway project on the embedded default (SQLite, a local
 * pull worker), a fan-out/fan-in flow with sh and js tasks passing outputs through references,
 * run with a live progress display; then the job table and the final value.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openProject } from "../../api/project.ts";
import type { Job } from "../../model/types.ts";
import { packageFile } from "../../package-files.ts";
import type { CliContext } from "../context.ts";
import { EXIT } from "../exit-codes.ts";
import { json, paint } from "../output.ts";
import { printJobs } from "../print.ts";
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

const example = (file: string) => pathToFileURL(packageFile(`examples/demo/${file}`));

/** The value the flow must produce, computed here with the same generator and seeds. */
async function expectedPi(): Promise<number> {
  const m = (await import(example("tasks.mjs").href)) as {
    sample: (i: { seed: number; samples: number }) => { samples: number; inside: number };
    combine: (i: { parts: unknown[] }) => { pi: number };
  };
  return m.combine({ parts: [11, 23, 37, 41].map((seed) => m.sample({ seed, samples: 250_000 })) }).pi;
}

async function runDemo(ctx: CliContext, o: { keep?: boolean; dir?: string }): Promise<DemoResult> {
  const projectDir = o.dir ?? mkdtempSync(join(tmpdir(), "ferry-demo-"));
  const started = Date.now();
  try {
    await using project = await openProject({
      config: { workers: { local: { mode: "pull", workDir: "runs", concurrency: 2 } } },
      dir: projectDir,
    });
    const [added] = await project.add(fileURLToPath(example("flow.yaml")));
    const total = Object.keys(added!.jobIds).length;
    ctx.out.error(
      `ferry demo: project ${projectDir}\nflow ${added!.flowId} "${added!.name}": ${total} jobs; running them with 2 at a time…\n`,
    );
    const progress = attachProgress(project.events, ctx.out, { total });
    try {
      await project.launch({ concurrency: 2 });
    } finally {
      progress.stop();
    }
    const jobs = await project.jobs({ flows: [added!.flowId] });
    const report = jobs.find((j) => j.name === "report");
    const pi = (report?.outputs as { pi?: number } | null)?.pi ?? null;
    const expected = await expectedPi();
    const ok = jobs.every((j) => j.state === "COMPLETED") && pi !== null && Math.abs(pi - expected) < 1e-12;
    return {
      projectDir,
      flowId: added!.flowId,
      jobs,
      pi,
      expectedPi: expected,
      seconds: (Date.now() - started) / 1000,
      ok,
    };
  } finally {
    if (!o.keep && !o.dir) rmSync(projectDir, { recursive: true, force: true });
  }
}

export async function demo(
  ctx: CliContext,
  o: { keep?: boolean; dir?: string; json?: boolean },
): Promise<number> {
  const d = await runDemo(ctx, o);
  const out = ctx.out;
  if (o.json) out.write(json(d));
  else {
    printJobs(out, d.jobs);
    const value = d.pi === null ? "none" : String(d.pi);
    out.write(
      `\n${paint(out, "bold", "final value").text}: pi ≈ ${value}  (expected ${d.expectedPi}; ${d.jobs.length} jobs in ${d.seconds.toFixed(1)} s)\n`,
    );
    out.write(
      d.ok
        ? `${paint(out, "green", "demo OK: every job COMPLETED and the value is right").text}\n`
        : `${paint(out, "red", "demo FAILED").text}\n`,
    );
  }
  return d.ok ? EXIT.ok : EXIT.jobsFailed;
}
