/**
 * A FireWorks workflow → a ferry flow (the flow-file format, validated by `ferry add`'s schema).
 *
 * - Each Firework becomes the job `<name>-<fw_id>` (letters, digits, '_' and '-' kept; a
 *   negative id is written n<id>), labelled with its FireWorks name; parents come from links.
 * - A Firework whose Firetasks are all ScriptTask/FileWriteTask/local FileTransferTask runs as sh
 *   tasks, with nothing to install on the node (native-tasks.ts). Any other Firework runs whole
 *   through FireWorks on the node: one py task, `ferry_jobflow.fireworks.run:run_firework`, which
 *   runs its Firetasks in order on the spec as FireWorks' Rocket does (later tasks see earlier
 *   tasks' spec updates) and turns the FWAction into a ferry action. That needs
 *   `pip install ./python fireworks` in the worker's python.
 * - The spec (less the keys ferry interprets) becomes the job's inputs, so update_spec/mod_spec of
 *   a parent reach a PyTask's `inputs` exactly as they reach its spec in FireWorks. Values ferry
 *   would read as references are wrapped in {"$literal": ...}.
 * - _category, _fworker, _priority, _queueadapter, _allow_fizzled_parents map to job fields; every
 *   other reserved key is reported (spec-keys.ts).
 */
import { isPlainObject, type JsonObject, type JsonValue } from "../../model/json.ts";
import { nativeTask, taskName } from "./native-tasks.ts";
import { queueadapterResources } from "./queueadapter.ts";
import type { Firework, FireworksWorkflow } from "./read.ts";
import { type SpecWarning, splitSpec } from "./spec-keys.ts";

export const RUN_FIREWORK = "ferry_jobflow.fireworks.run:run_firework";

export function fireworkJobName(fw: { id: number; name: string | undefined }): string {
  const slug =
    (fw.name ?? "fw")
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .replace(/^[-_]+|_+$/g, "")
      .slice(0, 60) || "fw";
  return `${slug}-${fw.id < 0 ? `n${-fw.id}` : fw.id}`;
}

/** Wrap values ferry would read as references (strings with "${{", objects with "$ref"). */
export function escapeLiterals(value: unknown): JsonValue {
  if (typeof value === "string") return value.includes("${{") ? { $literal: value } : value;
  if (Array.isArray(value)) return value.map(escapeLiterals);
  if (isPlainObject(value)) {
    if ("$ref" in value || "$literal" in value) return { $literal: value as JsonValue };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeLiterals(v)]));
  }
  return value as JsonValue;
}

export interface ConvertedWorkflow {
  flow: JsonObject;
  warnings: SpecWarning[];
  /** fw_id → "sh" (every task native) or "py" (through FireWorks on the node) */
  runs: Record<number, "sh" | "py">;
}

function jobFields(fw: Firework, warnings: SpecWarning[]): JsonObject {
  const spec = fw.spec;
  const out: JsonObject = {};
  const warn = (key: string, message: string) => warnings.push({ fwId: fw.id, key, message });
  if (spec._category !== undefined) {
    if (typeof spec._category === "string" && spec._category !== "__none__") out.category = spec._category;
    else
      warn(
        "_category",
        `spec._category ${JSON.stringify(spec._category)}: ferry takes one category name: ignored`,
      );
  }
  if (spec._fworker !== undefined) {
    if (typeof spec._fworker === "string") out.worker = spec._fworker;
    else warn("_fworker", "spec._fworker must be a worker name: ignored");
  }
  if (spec._priority !== undefined) {
    if (typeof spec._priority === "number") out.priority = spec._priority;
    else warn("_priority", "spec._priority must be a number: ignored");
  }
  if (spec._allow_fizzled_parents) out.allowFailedParents = true;
  if (spec._queueadapter !== undefined) {
    if (isPlainObject(spec._queueadapter)) {
      const resources = queueadapterResources(spec._queueadapter, warn);
      if (Object.keys(resources).length > 0) out.resources = resources as JsonObject;
    } else warn("_queueadapter", "spec._queueadapter must be an object: ignored");
  }
  return out;
}

export function convertWorkflow(wf: FireworksWorkflow): ConvertedWorkflow {
  const warnings: SpecWarning[] = [];
  const runs: Record<number, "sh" | "py"> = {};
  const names = new Map(wf.fws.map((fw) => [fw.id, fireworkJobName(fw)]));
  const jobs = wf.fws.map((fw) => {
    const inputs = splitSpec(fw.id, fw.spec, warnings);
    const native = fw.tasks.map((t) => nativeTask(t));
    const job: JsonObject = { name: names.get(fw.id)!, label: fw.name ?? names.get(fw.id)! };
    const parents = (wf.parents.get(fw.id) ?? []).map((p) => names.get(p)!);
    if (parents.length > 0) job.parents = parents;
    if (native.every((n) => n !== null)) {
      runs[fw.id] = "sh";
      job.tasks = native.map((sh, i) => ({ sh, name: taskName(fw.tasks[i]!) }));
      job.inputs = escapeLiterals(inputs) as JsonObject;
    } else {
      runs[fw.id] = "py";
      job.py = RUN_FIREWORK;
      job.inputs = escapeLiterals({ ...inputs, _tasks: fw.tasks }) as JsonObject;
    }
    Object.assign(job, jobFields(fw, warnings));
    const unsupported = warnings.filter((w) => w.fwId === fw.id).map((w) => w.key);
    job.metadata = { fireworks: { fw_id: fw.id, ...(unsupported.length > 0 ? { unsupported } : {}) } };
    return job;
  });
  const name = wf.name ?? wf.fws[0]?.name ?? "fireworks";
  return { flow: { name, metadata: { ...wf.metadata }, jobs }, warnings, runs };
}
