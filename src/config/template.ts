/** The commented ferry.yaml written by `ferry init`. */

export function projectTemplate(options: { database?: string } = {}): string {
  const db = options.database
    ? options.database.startsWith("postgres")
      ? `database:\n  postgres: ${options.database}\n`
      : `database:\n  sqlite: ${options.database}\n`
    : "database:\n  sqlite: .ferry/ferry.db\n";
  return `# ferry project file — https://github.com/ferry-hpc/ferry (schema: schema/ferry.schema.json)
#
# Where ferry keeps its flows, jobs and runs. The default is an SQLite file next to this
# file: nothing to install or run. Keep it on a local disk (never NFS or Lustre). For a team,
# several login nodes or several launchers on different machines, use PostgreSQL:
#   database:
#     postgres: postgres://me@dbhost:5432/ferry
#     schema: ferry            # optional
${db}
# Where jobs run. Each worker has a mode:
#   pull     \`ferry launch\` runs READY jobs on the machine it runs on (also inside a batch allocation)
#   offline  \`ferry offline submit\` stages jobs and submits them to a batch system; compute
#            nodes need no database access; \`ferry offline recover\` collects the results
workers:
  local:
    mode: pull
    workDir: runs            # launch directories, relative to this file
    concurrency: 2           # jobs at once (ferry launch --concurrency overrides)
    # categories: [gpu]      # only jobs of these categories (default: any job)
    # env: {OMP_NUM_THREADS: "1"}
  # cluster:
  #   mode: offline
  #   scheduler: slurm       # shell, slurm, pbs, sge or lsf
  #   workDir: /scratch/me/ferry   # must be visible from the compute nodes
  #   maxQueued: 50
  #   preRun: module load vasp
  #   defaultResources: {nodes: 1, walltime: "1:00:00", queue: debug}

defaults:
  worker: local
`;
}
