/**
 * Write a run's bundle into its launch directory through a transport (local now, SSH for the
 * runner daemon later). run.sh is written last: its presence means the bundle is complete.
 */
import { posix } from "node:path";
import type { JsonObject } from "../model/json.ts";
import type { Job, Recovery } from "../model/types.ts";
import type { Transport } from "../transport/types.ts";
import { buildWorkerBundle, hasJsTasks } from "./js-bundle.ts";
import { bundlePaths, PROTOCOL_DIR, PROTOCOL_VERSION } from "./layout.ts";
import { writePyFiles } from "./py-bundle.ts";
import { renderEnvFile, renderWrapper } from "./wrapper.ts";

export { FERRY_VERSION } from "../version.ts";

import { FERRY_VERSION } from "../version.ts";

export interface BundleSpec {
  launchDir: string;
  runId: number;
  attempt: number;
  job: Pick<Job, "id" | "name" | "flowId" | "tasks"> & Partial<Pick<Job, "env" | "preRun">>;
  /** Inputs with every reference already resolved. */
  inputs: JsonObject;
  recovery: Recovery | null;
  heartbeatSeconds: number;
  directives?: readonly string[];
  preRun?: string;
  env?: Readonly<Record<string, string>>;
  node: string;
  /** The python for py tasks (default python3). */
  python?: string;
  /** Where worker bundles are cached on the login side (null: no cache). */
  cacheDir: string | null;
  /** Copy the files of this directory into the new launch dir first (task-level rerun --copy-data). */
  copyFrom?: string | null;
  worker?: string | null;
}

export interface JobFile {
  protocol: number;
  runId: number;
  attempt: number;
  jobId: number;
  jobName: string;
  flowId: number;
  worker: string | null;
  tasks: Job["tasks"];
  inputs: JsonObject;
  recovery: Recovery | null;
  startTask: number;
  writtenAt: number;
}

/** Move a previous run's protocol files aside (a rerun in the same directory keeps them). */
async function setAside(t: Transport, launchDir: string): Promise<void> {
  const paths = bundlePaths(launchDir);
  const previous = await t.read(paths.job);
  let suffix = String(Date.now());
  if (previous !== null) {
    try {
      suffix = `run-${(JSON.parse(previous) as JobFile).runId}`;
    } catch {
      // an unreadable old job.json: keep the timestamp suffix
    }
  }
  await t.rename(paths.dir, posix.join(launchDir, `${PROTOCOL_DIR}.${suffix}`));
}

export async function writeBundle(t: Transport, spec: BundleSpec): Promise<ReturnType<typeof bundlePaths>> {
  const paths = bundlePaths(spec.launchDir);
  await t.mkdir(spec.launchDir);
  if (spec.copyFrom) {
    const out = await t.exec({ argv: ["cp", "-a", `${spec.copyFrom}/.`, `${spec.launchDir}/`] });
    if (out.exitCode !== 0)
      throw new Error(`cannot copy ${spec.copyFrom} into ${spec.launchDir}: ${out.stderr.trim()}`);
    for (const e of (await t.list(spec.launchDir)) ?? []) {
      if (e.name === PROTOCOL_DIR || e.name.startsWith(`${PROTOCOL_DIR}.`)) {
        await t.remove(posix.join(spec.launchDir, e.name), { recursive: true });
      }
    }
  }
  if ((await t.list(paths.dir)) !== null) await setAside(t, spec.launchDir);
  const startTask = spec.recovery?.startTask ?? 0;
  await t.mkdir(paths.tasks);
  for (let i = startTask; i < spec.job.tasks.length; i++) await t.mkdir(paths.task(i).dir);
  // A resumed run carries the earlier tasks' outputs at the paths they wrote them to, so the
  // task it resumes at can read them: a fresh dir has none, --copy-data drops the old protocol
  // folder and --previous-dir set the old one aside (above).
  const earlier = (spec.recovery?.outputs ?? [])
    .slice(0, startTask)
    .flatMap((out, i) =>
      out === null || out === undefined
        ? []
        : [{ path: paths.task(i).output, content: `${JSON.stringify(out)}\n` }],
    );
  if (earlier.length > 0) await t.writeMany(earlier);
  const jobFile: JobFile = {
    protocol: PROTOCOL_VERSION,
    runId: spec.runId,
    attempt: spec.attempt,
    jobId: spec.job.id,
    jobName: spec.job.name,
    flowId: spec.job.flowId,
    worker: spec.worker ?? null,
    tasks: spec.job.tasks,
    inputs: spec.inputs,
    recovery: spec.recovery,
    startTask,
    writtenAt: Date.now(),
  };
  await t.writeAtomic(paths.job, `${JSON.stringify(jobFile, null, 2)}\n`);
  await t.writeAtomic(paths.inputs, `${JSON.stringify(spec.inputs)}\n`);
  // the job's own env after the worker's: the job wins
  await t.writeAtomic(paths.env, renderEnvFile(spec.inputs, { ...spec.env, ...spec.job.env }));
  if (hasJsTasks(spec.job.tasks)) {
    await t.writeAtomic(paths.worker, await buildWorkerBundle(spec.job.tasks, spec.cacheDir));
  }
  await writePyFiles(t, paths, spec.job.tasks, startTask);
  const script = renderWrapper({
    launchDir: spec.launchDir,
    runId: spec.runId,
    attempt: spec.attempt,
    jobId: spec.job.id,
    jobName: spec.job.name,
    flowId: spec.job.flowId,
    tasks: spec.job.tasks,
    startTask,
    heartbeatSeconds: spec.heartbeatSeconds,
    directives: spec.directives ?? [],
    ...(spec.preRun ? { preRun: spec.preRun } : {}),
    ...(spec.job.preRun ? { jobPreRun: spec.job.preRun } : {}),
    node: spec.node,
    python: spec.python ?? "python3",
    ferryVersion: FERRY_VERSION,
  });
  await t.writeAtomic(paths.script, script, { mode: 0o755 });
  return paths;
}
