/**
 * `spec._queueadapter` (per-Firework overrides of the queue adapter's template variables,
 * fireworks/user_objects/queue_adapters/*_template.txt) → ferry's neutral resources. Variables
 * with no neutral meaning become raw directives for the scheduler whose template has them; the
 * rocket-launch plumbing (`rocket_launch`, `pre_rocket`, `post_rocket`, `logdir`) and unknown
 * variables are reported by name. The Python runtime maps Fireworks added by an FWAction with the
 * same table (python/ferry_jobflow/fireworks/spec.py).
 */
import type { Resources } from "../../model/resources.ts";

const NEUTRAL: Record<string, keyof Resources> = {
  nodes: "nodes",
  nnodes: "nodes",
  ntasks: "processes",
  mppwidth: "processes",
  ntasks_per_node: "processesPerNode",
  ppnode: "processesPerNode",
  ppn: "processesPerNode",
  cpus_per_task: "cpusPerProcess",
  gpus_per_node: "gpus",
  walltime: "walltime",
  queue: "queue",
  account: "account",
  job_name: "jobName",
  mem: "memory",
  qos: "qos",
  constraint: "constraint",
};

const RAW: Record<string, [scheduler: "slurm" | "pbs" | "lsf", format: string][]> = {
  mem_per_cpu: [["slurm", "--mem-per-cpu=%s"]],
  gres: [["slurm", "--gres=%s"]],
  gpus: [["slurm", "--gpus=%s"]],
  gpus_per_task: [["slurm", "--gpus-per-task=%s"]],
  exclude_nodes: [["slurm", "--exclude=%s"]],
  ntasks_per_core: [["slurm", "--ntasks-per-core=%s"]],
  core_spec: [["slurm", "--core-spec=%s"]],
  time_min: [["slurm", "--time-min=%s"]],
  license: [["slurm", "--licenses=%s"]],
  signal: [["slurm", "--signal=%s"]],
  mail_type: [["slurm", "--mail-type=%s"]],
  pmem: [["pbs", "-l pmem=%s"]],
  group_name: [["pbs", "-W group_list=%s"]],
};

const PLUMBING = new Set(["rocket_launch", "pre_rocket", "post_rocket", "logdir", "_fw_name", "_fw_q_type"]);

export function queueadapterResources(
  qa: Record<string, unknown>,
  warn: (key: string, message: string) => void,
): Resources {
  const out: Record<string, unknown> = {};
  const custom: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(qa)) {
    if (value === null || value === undefined) continue;
    const neutral = NEUTRAL[key];
    if (neutral) out[neutral] = value;
    else if (key === "mail_user") out.mail = { user: String(value), events: ["fail"] };
    else if (RAW[key]) {
      for (const [scheduler, format] of RAW[key]) {
        custom[scheduler] = [...(custom[scheduler] ?? []), format.replace("%s", String(value))];
      }
    } else if (PLUMBING.has(key)) {
      warn(
        `_queueadapter.${key}`,
        `spec._queueadapter.${key} is FireWorks' launch plumbing: ignored (ferry writes its own batch script)`,
      );
    } else {
      warn(
        `_queueadapter.${key}`,
        `spec._queueadapter.${key} has no ferry equivalent: ignored (pass raw options as resources.custom)`,
      );
    }
  }
  if (Object.keys(custom).length > 0) out.custom = custom;
  return out as Resources;
}
