/**
 * FireWorks' reserved spec keys (from fireworks/core/firework.py
 * and rocket.py): the ones ferry has an equivalent for become job fields; every other one is
 * reported by name, never dropped silently. The Python runtime applies the same table to
 * Fireworks that an FWAction adds (python/ferry_jobflow/fireworks/spec.py): keep them in step.
 */

/** Keys ferry maps to a job field. */
export const MAPPED_KEYS = [
  "_tasks",
  "_category",
  "_fworker",
  "_priority",
  "_queueadapter",
  "_allow_fizzled_parents",
];

/** FireWorks features ferry does not have, with what to do instead. */
export const UNSUPPORTED_KEYS: Record<string, string> = {
  _files_in: "copy files from the parent's launch directory in the task itself",
  _files_out: "have the parent return the file's path as an output (FWAction update_spec)",
  _files_prev: "have the parent return the file's path as an output",
  _pass_job_info: "ferry jobs see their parents' outputs through references, not _job_info",
  _job_info: "set by FireWorks at run time",
  _preserve_fworker: "pin the children with _fworker",
  _dupefinder: "ferry has no duplicate detection",
  _launch_dir: "ferry chooses each run's launch directory (use --previous-dir reruns to reuse one)",
  _trackers: "read a run's files with `ferry jobs logs`",
  _background_tasks: "run background work inside the task",
  _add_launchpad_and_fw_id: "ferry tasks get FERRY_JOB_ID and FERRY_JOB_NAME in their environment",
  _add_fworker: "ferry tasks get their worker's environment",
  _recovery: "use `ferry rerun --task-level`",
  _exception_details: "set by FireWorks at run time",
  _fizzled_parents: "set by FireWorks at run time (ferry passes _failedParents)",
  _fw_env: "set the worker's env in ferry.yaml",
};

export interface SpecWarning {
  fwId: number;
  key: string;
  message: string;
}

/** The spec without the keys ferry interprets or refuses; the warnings for what it drops or keeps. */
export function splitSpec(
  fwId: number,
  spec: Record<string, unknown>,
  warnings: SpecWarning[],
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (MAPPED_KEYS.includes(key)) continue;
    const why = UNSUPPORTED_KEYS[key];
    if (why !== undefined) {
      warnings.push({ fwId, key, message: `spec.${key} is not supported by ferry and is ignored: ${why}` });
      continue;
    }
    if (key.startsWith("_")) {
      warnings.push({
        fwId,
        key,
        message: `spec.${key} is not a FireWorks key ferry knows: kept as an input, not interpreted`,
      });
    }
    inputs[key] = value;
  }
  return inputs;
}
