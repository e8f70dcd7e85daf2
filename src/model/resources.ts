/**
 * Neutral resources (after PSI/J's JobSpec/ResourceSpec): what a job asks of a batch system,
 * in words that mean the same on every scheduler. Each scheduler module maps them to its own
 * directives (schedulers/<name>/resources.ts); a key it cannot express is an error there, never a
 * silently dropped line (FireWorks' templates drop them: fireworks/queue/queue_adapter.py `get_script_str`).
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();

/** "1:30:00", "2-00:00:00", "45:00" (MM:SS), 3600 (seconds), "90m", "2h", "1d12h". */
export function parseWalltime(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`walltime must be positive, got ${value}`);
    return Math.ceil(value);
  }
  const s = value.trim();
  const units = /^(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?\s*(?:(\d+)s)?$/i.exec(s);
  if (units && s !== "" && units.slice(1).some((x) => x !== undefined)) {
    const [, d, h, m, sec] = units;
    const total = Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(sec ?? 0);
    if (total > 0) return total;
  }
  const clock = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(s);
  if (clock) {
    const [, d, a, b, c] = clock;
    let seconds: number;
    if (c !== undefined) seconds = Number(a) * 3600 + Number(b) * 60 + Number(c);
    else if (b !== undefined)
      seconds = d !== undefined ? Number(a) * 3600 + Number(b) * 60 : Number(a) * 60 + Number(b);
    else seconds = d !== undefined ? Number(a) * 3600 : Number(a) * 60; // SLURM: a bare number is minutes
    seconds += Number(d ?? 0) * 86400;
    if (seconds > 0) return seconds;
  }
  throw new Error(`cannot read walltime "${value}": use HH:MM:SS, D-HH:MM:SS, seconds, or 90m / 2h / 1d12h`);
}

export function formatWalltime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** "4G", "512M", "2GB", "1.5T", 2048 (megabytes) → megabytes. */
export function parseMemory(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`memory must be positive, got ${value}`);
    return Math.ceil(value);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])?i?B?$/i.exec(value.trim());
  if (!m) throw new Error(`cannot read memory "${value}": use a number of megabytes or 512M, 4G, 1T`);
  const factor = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[(m[2] ?? "M").toUpperCase() as "K"];
  return Math.ceil(Number(m[1]) * factor);
}

export const walltimeSchema = z
  .union([z.string(), z.number()])
  .superRefine((v, ctx) => {
    try {
      parseWalltime(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  })
  .describe('Wall-clock limit: "HH:MM:SS", "D-HH:MM:SS", seconds, or "90m", "2h".');

const memory = z
  .union([z.string(), z.number()])
  .superRefine((v, ctx) => {
    try {
      parseMemory(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  })
  .describe('Memory per node: megabytes, or "512M", "4G".');

export const SCHEDULER_NAMES = ["shell", "slurm", "pbs", "sge", "lsf"] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export const resourcesSchema = z
  .strictObject({
    nodes: positiveInt.optional().describe("Number of nodes."),
    processes: positiveInt.optional().describe("Total number of processes (MPI ranks)."),
    processesPerNode: positiveInt.optional().describe("Processes per node."),
    cpusPerProcess: positiveInt.optional().describe("CPU cores per process (threads)."),
    gpus: z.number().int().nonnegative().optional().describe("GPUs per node."),
    memory: memory.optional(),
    walltime: walltimeSchema.optional(),
    queue: z.string().min(1).optional().describe("Queue (PBS, SGE, LSF) or partition (SLURM)."),
    partition: z.string().min(1).optional().describe("Alias of queue, for SLURM users."),
    account: z.string().min(1).optional().describe("Account / project to charge."),
    qos: z.string().min(1).optional().describe("Quality of service."),
    reservation: z.string().min(1).optional().describe("Advance reservation name."),
    constraint: z.string().min(1).optional().describe("Node features (SLURM --constraint)."),
    exclusive: z.boolean().optional().describe("Whole nodes for this job only."),
    mail: z
      .strictObject({
        user: z.string().min(1),
        events: z
          .array(z.enum(["begin", "end", "fail"]))
          .min(1)
          .default(["fail"]),
      })
      .optional()
      .describe("Mail notifications."),
    jobName: z.string().min(1).optional().describe("Name shown by the scheduler (default: ferry-<job>)."),
    custom: z
      .union([z.array(z.string()), z.partialRecord(z.enum(SCHEDULER_NAMES), z.array(z.string()))])
      .optional()
      .describe(
        'Raw directive arguments added as they are, e.g. ["--hint=nomultithread"], or per scheduler: {slurm: [...], pbs: [...]}.',
      ),
  })
  .superRefine((r, ctx) => {
    if (r.queue !== undefined && r.partition !== undefined && r.queue !== r.partition) {
      ctx.addIssue({
        code: "custom",
        message: "give either queue or partition, not both",
        path: ["partition"],
      });
    }
    if (r.nodes !== undefined && r.processesPerNode !== undefined && r.processes !== undefined) {
      if (r.nodes * r.processesPerNode !== r.processes) {
        ctx.addIssue({
          code: "custom",
          message: `processes (${r.processes}) must equal nodes × processesPerNode (${r.nodes * r.processesPerNode})`,
          path: ["processes"],
        });
      }
    }
  });

export type Resources = z.input<typeof resourcesSchema>;

export const RESOURCE_KEYS: readonly string[] = Object.keys(resourcesSchema.shape);

/** Resources after merging defaults and normalising units: what scheduler modules receive. */
export interface ResolvedResources {
  nodes?: number;
  processes?: number;
  processesPerNode?: number;
  cpusPerProcess?: number;
  gpus?: number;
  memoryMB?: number;
  walltimeSeconds?: number;
  queue?: string;
  account?: string;
  qos?: string;
  reservation?: string;
  constraint?: string;
  exclusive?: boolean;
  mail?: { user: string; events: ("begin" | "end" | "fail")[] };
  jobName?: string;
  custom: string[];
}

/**
 * Merge per-worker defaults with per-job resources (the job wins key by key) and normalise.
 * `custom` lists are concatenated: worker-wide directives first, then the job's.
 */
export function resolveResources(
  scheduler: SchedulerName,
  ...layers: (Resources | undefined | null)[]
): ResolvedResources {
  const merged: Record<string, unknown> = {};
  const custom: string[] = [];
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k === "custom") {
        const list = Array.isArray(v) ? v : ((v as Record<string, string[]>)[scheduler] ?? []);
        custom.push(...(list as string[]));
      } else if (k === "partition") {
        merged.queue = v;
      } else {
        merged[k] = v;
      }
    }
  }
  const out: ResolvedResources = { custom };
  for (const key of [
    "nodes",
    "processes",
    "processesPerNode",
    "cpusPerProcess",
    "gpus",
    "queue",
    "account",
    "qos",
    "reservation",
    "constraint",
    "exclusive",
    "mail",
    "jobName",
  ] as const) {
    if (merged[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = merged[key];
  }
  if (merged.memory !== undefined) out.memoryMB = parseMemory(merged.memory as string | number);
  if (merged.walltime !== undefined) out.walltimeSeconds = parseWalltime(merged.walltime as string | number);
  return out;
}
