/**
 * ferry.yaml: one project file, one zod schema (with descriptions and defaults, unknown keys
 * rejected, worker kinds as a discriminated union on `mode`). The same schema emits
 * schema/ferry.schema.json for editors.
 */
import { z } from "zod";
import { resourcesSchema, SCHEDULER_NAMES, walltimeSchema } from "../model/resources.ts";

const seconds = (d: number, what: string) => z.number().positive().default(d).describe(what);

/**
 * How a managed worker reaches its cluster: through the system OpenSSH client, so the user's
 * ~/.ssh/config (Host aliases, ProxyJump, Match, Include, certificates) applies as is — if
 * `ssh <host>` works in a terminal, the runner works. These keys only override that config.
 */
export const sshOptionsSchema = z.strictObject({
  configFile: z.string().min(1).optional().describe("An ssh config file instead of ~/.ssh/config (ssh -F)."),
  user: z.string().min(1).optional().describe("Overrides the config's User."),
  port: z.number().int().positive().optional().describe("Overrides the config's Port."),
  identityFile: z
    .string()
    .min(1)
    .optional()
    .describe("Private key file (overrides the config's IdentityFile)."),
  knownHostsFile: z
    .string()
    .min(1)
    .optional()
    .describe("Default ~/.ssh/known_hosts; host keys are always verified."),
  options: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string())
    .optional()
    .describe('More ssh -o Key=Value options (e.g. {ServerAliveInterval: "30"}).'),
});

const commonWorker = {
  workDir: z
    .string()
    .min(1)
    .describe("Root of the launch directories (relative paths: to the project folder)."),
  categories: z
    .array(z.string().min(1))
    .default([])
    .describe("Only jobs of these categories (empty: any job)."),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .default({})
    .describe("Environment for every task."),
  preRun: z.string().optional().describe("Shell lines run before the tasks (module load …)."),
  node: z.string().min(1).default("node").describe("The node binary on the compute side (js tasks only)."),
  python: z
    .string()
    .min(1)
    .default("python3")
    .describe("The python interpreter on the compute side (py tasks only), e.g. /path/to/venv/bin/python."),
  heartbeatSeconds: seconds(60, "How often a running job's wrapper refreshes its heartbeat file."),
};

/**
 * Batch workers (many jobs per allocation): pilots submitted to the scheduler take staged bundles
 * from a folder queue in the worker's workDir (src/batch/), instead of one scheduler job per job.
 */
export const batchSchema = z.strictObject({
  maxJobs: z.number().int().positive().describe("A pilot runs at most this many jobs, then ends."),
  maxWallTime: walltimeSchema.describe(
    'The walltime of each pilot allocation ("HH:MM:SS", seconds, "90m"). A pilot takes no job whose walltime resource is longer than the time it has left.',
  ),
  parallel: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe("Jobs one pilot runs at once (ask defaultResources for the cores they need)."),
  lingerSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe("How long a pilot waits on an empty queue for more jobs before it ends."),
});

const batchWorker = {
  ...commonWorker,
  scheduler: z
    .enum(SCHEDULER_NAMES)
    .default("shell")
    .describe("Batch system: shell, slurm, pbs, sge or lsf."),
  defaultResources: resourcesSchema.optional().describe("Resources for jobs that do not set them."),
  maxQueued: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("At most this many of this worker's jobs queued or running (with batch: this many pilots)."),
  statusIntervalSeconds: seconds(
    30,
    "Minimum time between two status calls to the scheduler, across every ferry process of the project (the last call time is kept in the database).",
  ),
  lostAfterSeconds: seconds(600, "A running job whose heartbeat is older than this is reported lost."),
  walltimeWarningSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(120)
    .describe("Ask the scheduler for a signal this long before the walltime ends (0: never)."),
  schedulerUser: z
    .string()
    .optional()
    .describe("List the queue by this user (some schedulers cannot list by id)."),
  pbsFlavor: z
    .enum(["pbspro", "torque"])
    .default("pbspro")
    .describe("pbspro (PBS Professional, OpenPBS) or torque."),
  commandPrefix: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'Run every scheduler command through this local wrapper, e.g. ["sudo", "-u", "hpcuser"] or ["unshare", "-n"].',
    ),
};

/**
 * How `ferry qlaunch` submits pilot jobs for a pull worker (FireWorks' qadapter): each pilot runs
 * `ferry launch` for this worker inside its allocation, so the compute nodes must reach the
 * database (PostgreSQL; SQLite only when pilots run on the machine that holds the file).
 */
export const queueSchema = z.strictObject({
  scheduler: batchWorker.scheduler,
  defaultResources: batchWorker.defaultResources,
  maxQueued: batchWorker.maxQueued,
  statusIntervalSeconds: batchWorker.statusIntervalSeconds,
  walltimeWarningSeconds: batchWorker.walltimeWarningSeconds,
  schedulerUser: batchWorker.schedulerUser,
  pbsFlavor: batchWorker.pbsFlavor,
  commandPrefix: batchWorker.commandPrefix,
  launcherDir: z
    .string()
    .min(1)
    .default("pilots")
    .describe("Where pilot scripts and their logs go (block_*/launcher_* folders)."),
  preRun: z
    .string()
    .optional()
    .describe("Shell lines run before `ferry launch` in the pilot (module load node …)."),
  ferry: z
    .array(z.string().min(1))
    .optional()
    .describe('How a compute node runs ferry, e.g. ["ferry"] (default: this node binary and this ferry).'),
});

export const pullWorkerSchema = z.strictObject({
  mode: z.literal("pull"),
  ...commonWorker,
  queue: queueSchema
    .optional()
    .describe("Settings for ferry qlaunch (pilot jobs that run ferry launch on compute nodes)."),
  concurrency: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe("Jobs run at once by `ferry launch` on this worker."),
  leaseSeconds: seconds(
    60,
    "A pull run whose lease is this old is lost (the launcher renews it while alive).",
  ),
});

const batchField = batchSchema
  .optional()
  .describe(
    "Run many jobs per allocation: pilots (one per maxJobs jobs, at most maxQueued) take staged jobs from a folder queue in workDir; the pilot's resources are defaultResources with maxWallTime as walltime.",
  );

export const offlineWorkerSchema = z.strictObject({
  mode: z.literal("offline"),
  ...batchWorker,
  batch: batchField,
});

export const managedWorkerSchema = z.strictObject({
  mode: z.literal("managed"),
  ...batchWorker,
  batch: batchField,
  workDir: z
    .string()
    .min(1)
    .describe(
      "Root of the launch directories: on the cluster (an absolute path) when `host` is set, else on this machine (relative paths: to the project folder).",
    ),
  host: z
    .string()
    .min(1)
    .refine((h) => !h.startsWith("-"), "an ssh destination never starts with '-'")
    .optional()
    .describe(
      "The cluster's login node as `ssh` takes it: a Host alias of ~/.ssh/config, host or user@host. Absent: a local worker (the runner runs the scheduler on this machine).",
    ),
  ssh: sshOptionsSchema.optional().describe("Overrides of the ssh config for `host`."),
  cycleSeconds: seconds(10, "How often the runner advances this worker's jobs (stage, submit, collect)."),
});

export const workerSchema = z.discriminatedUnion("mode", [
  pullWorkerSchema,
  offlineWorkerSchema,
  managedWorkerSchema,
]);

export const databaseSchema = z.union([
  z.strictObject({
    sqlite: z.string().min(1).describe("Path of the SQLite file (local disk only: never NFS or Lustre)."),
  }),
  z.strictObject({
    postgres: z.string().startsWith("postgres").describe("postgres://user@host:port/database"),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional()
      .describe("Schema to use (default: public)."),
  }),
]);

/** The runner daemon (`ferry runner start`), for every runner of the project. */
export const runnerSchema = z.strictObject({
  leaseSeconds: seconds(
    30,
    "A runner renews its lease on each worker this often (a third of it); a runner killed with SIGKILL is replaced once its lease has expired.",
  ),
  maxFailures: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe(
      "After this many failed cycles in a row a worker is unreachable (or needs-login) and its claimed jobs are HELD with the reason.",
    ),
  backoffSeconds: seconds(2, "Wait after a worker's first failed cycle; doubled after each further failure."),
  backoffMaxSeconds: seconds(300, "The longest wait between two cycles of a failing worker."),
});

export const projectSchema = z.strictObject({
  database: databaseSchema
    .prefault({ sqlite: ".ferry/ferry.db" })
    .describe("Where ferry keeps flows, jobs and runs."),
  workers: z
    .record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/), workerSchema)
    .prefault({ local: { mode: "pull", workDir: "runs" } })
    .describe("Where jobs run."),
  runner: runnerSchema.prefault({}).describe("The runner daemon that drives managed workers."),
  defaults: z
    .strictObject({
      worker: z
        .string()
        .optional()
        .describe("Worker used when a command does not name one (default: the first)."),
    })
    .prefault({}),
});

export type ProjectFile = z.infer<typeof projectSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type PullWorkerConfig = z.infer<typeof pullWorkerSchema>;
export type OfflineWorkerConfig = z.infer<typeof offlineWorkerSchema>;
export type ManagedWorkerConfig = z.infer<typeof managedWorkerSchema>;
export type RunnerConfig = z.infer<typeof runnerSchema>;

export function projectJsonSchema(): unknown {
  return z.toJSONSchema(projectSchema, { io: "input", unrepresentable: "any" });
}
