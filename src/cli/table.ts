/**
 * The command table: every command, its arguments, options and help, in one place. A command is
 * one entry here plus one module under commands/, loaded only when the command runs (so
 * `ferry --version` loads none of them). Each module's handler receives the options typed as
 * the entry declares them (`Values<typeof options>`); the compiler checks the two agree.
 */
import type { CliContext } from "./context.ts";
import {
  type ArgSpec,
  type ArgValues,
  arg,
  change,
  choice,
  count,
  finite,
  flag,
  id,
  json,
  list,
  name,
  type OptionSpecs,
  port,
  positive,
  repeat,
  seconds,
  selectors,
  type Values,
  value,
} from "./options.ts";

/** A command's code: it prints what it has to and returns the exit code (default 0). */
export type Handler<O, A> = (ctx: CliContext, options: O, args: A) => Promise<number | undefined>;

export interface CommandSpec {
  /** ["jobs", "list"] */
  readonly path: readonly string[];
  readonly summary: string;
  readonly args: readonly ArgSpec<unknown>[];
  readonly options: OptionSpecs;
  /** Printed after the options in --help. */
  readonly help?: string;
  // biome-ignore lint/suspicious/noExplicitAny: checked per entry by `command`
  readonly load: () => Promise<Handler<any, any>>;
}

// biome-ignore lint/suspicious/noExplicitAny: arguments of any value type
function command<const O extends OptionSpecs, const A extends readonly ArgSpec<any>[] = []>(
  path: string,
  spec: {
    summary: string;
    args?: A;
    options: O;
    help?: string;
    load: () => Promise<Handler<Values<O>, ArgValues<A>>>;
  },
): CommandSpec {
  return { path: path.split(" "), args: spec.args ?? [], ...spec };
}

/** Groups (`ferry jobs …`) and what they hold. */
export const GROUPS: ReadonlyMap<string, string> = new Map([
  ["flows", "list, inspect and change whole flows"],
  ["jobs", "list and inspect jobs"],
  ["offline", "offline mode: compute nodes that cannot reach the database (shared filesystem)"],
  ["import", "add workflows written for other tools"],
  ["qlaunch", "submit pilot jobs that run ferry launch on compute nodes (FireWorks' qlaunch)"],
  [
    "runner",
    "managed mode: the daemon that stages, submits, watches and collects jobs (locally or over SSH)",
  ],
]);

const force = flag("--force", "stop live (queued or running) runs first instead of refusing");
const files = flag(
  "--files",
  "also remove the launch directories (only those holding ferry's _ferry folder)",
);
const flowIds = arg("[ids...]", "flow ids", id);
const flowChange = {
  all: change.all,
  dryRun: change.dryRun,
  yes: change.yes,
  ...json,
};

const pilots = {
  worker: value(
    "-w, --worker <name>",
    "the pull worker with a queue: section (default: the first one)",
    name,
  ),
  reserve: flag("-r, --reserve", "reservation mode: one pilot per job, with the job's own resources"),
  once: flag("--once", "pilots run one job each instead of rapidfire inside"),
};

export const COMMANDS: readonly CommandSpec[] = [
  command("init", {
    summary: "write a commented ferry.yaml",
    args: [arg("[dir]", "project folder (default: here)")],
    options: {
      database: value("--database <url>", "postgres://… or a SQLite path (default: .ferry/ferry.db)"),
      force: flag("--force", "overwrite an existing ferry.yaml"),
      ...json,
    },
    load: async () => (await import("./commands/init.ts")).init,
  }),
  command("add", {
    summary: "add flows from YAML or JSON files (all files are checked before anything is written)",
    args: [arg("<files...>", "flow files")],
    options: { ...json },
    load: async () => (await import("./commands/add.ts")).add,
  }),
  command("demo", {
    summary: "run the demo flow in a throwaway project (npm start)",
    options: {
      keep: flag("--keep", "keep the throwaway project folder"),
      dir: value("--dir <path>", "use this (empty) folder instead of a temporary one", name, {
        hidden: true,
      }),
      ...json,
    },
    load: async () => (await import("./commands/demo.ts")).demo,
  }),
  command("import fireworks", {
    summary: "a FireWorks workflow file (lpad add format: fws, links, metadata; or one Firework)",
    args: [arg("<file>", "JSON or YAML")],
    options: {
      write: value(
        "--write <out>",
        "write the converted ferry flow (JSON) to this file instead of adding it",
        name,
      ),
      ...json,
    },
    help: "ScriptTask, FileWriteTask and local FileTransferTask run as sh tasks; any other Firework runs\nthrough FireWorks on the node (pip install ./python fireworks in the worker's python).\nSpec keys ferry does not interpret are reported, never dropped silently.",
    load: async () => (await import("./commands/import-fireworks.ts")).importFireworks,
  }),
  command("web", {
    summary: "the dashboard: flows, graphs, jobs, logs and actions in a browser",
    options: {
      port: value("--port <n>", "port to listen on (default: a free one)", port),
      host: value("--host <address>", "address to listen on (default 127.0.0.1; anything else warns)", name),
    },
    help: "The URL printed holds a random access token; without it every page answers 401.\nFrom another machine: ssh -L 8080:127.0.0.1:PORT login-node, then open the URL with port 8080.",
    load: async () => (await import("./commands/web.ts")).web,
  }),
  command("exec", {
    summary: "run a job bundle (a launch directory) by hand, in the foreground",
    args: [arg("<dir>", "launch directory")],
    options: {},
    load: async () => (await import("./commands/exec.ts")).exec,
  }),
  command("flows list", {
    summary: "flows with their derived state and when they last changed",
    options: {
      state: list("-s, --state <states>", "only flows in these states (RUNNING, COMPLETED, FAILED, …)"),
      name: value("-n, --name <glob>", "only flows whose name matches"),
      since: value("--since <time>", "changed at or after (ISO date/time, or 30m, 2h, 1d ago)"),
      until: value("--until <time>", "changed before"),
      limit: value("--limit <n>", "at most this many (newest first; default 100)", count),
      offset: value("--offset <n>", "skip this many first", count),
      ...json,
    },
    load: async () => (await import("./commands/flows.ts")).list,
  }),
  command("flows show", {
    summary: "a flow, its jobs and their parents",
    args: [arg("<id>", "flow id", id)],
    options: { ...json },
    load: async () => (await import("./commands/flows.ts")).show,
  }),
  ...(["pause", "resume", "cancel", "reignite", "archive", "delete"] as const).map((verb) =>
    command(`flows ${verb}`, {
      summary: `${verb} every job of the flows`,
      args: [flowIds],
      options: {
        ...flowChange,
        ...(verb === "archive" || verb === "delete" ? { force } : {}),
        ...(verb === "delete" ? { files } : {}),
      },
      load: async () => (await import("./commands/flows-change.ts")).flowChange(verb),
    }),
  ),
  command("jobs list", {
    summary: "jobs matching the selectors (all jobs but archived ones by default)",
    options: {
      ...selectors,
      limit: value("--limit <n>", "at most this many", count),
      offset: value("--offset <n>", "skip this many first", count),
      json: flag("--json", "print as JSON (with inputs and outputs)"),
    },
    load: async () => (await import("./commands/jobs.ts")).list,
  }),
  command("jobs show", {
    summary: "a job: tasks, inputs, outputs, runs with errors, history",
    args: [arg("<id>", "job id", id)],
    options: { runs: flag("--runs", "include archived runs (earlier attempts)"), ...json },
    load: async () => (await import("./commands/jobs.ts")).show,
  }),
  command("jobs logs", {
    summary: "the tail of each task's stdout and stderr in the job's latest run",
    args: [arg("<id>", "job id", id)],
    options: {
      task: value("--task <n>", "only this task (0-based)", count),
      lines: value("--lines <n>", "lines per stream (default 40)", positive),
      run: value("--run <id>", "an earlier run instead of the latest", id),
      follow: flag("-f, --follow", "keep printing until the run ends"),
    },
    load: async () => (await import("./commands/logs.ts")).logs,
  }),
  command("launch", {
    summary: "run READY jobs on this machine (pull mode; FireWorks' rlaunch)",
    options: {
      once: flag("--once", "run one job and stop (singleshot)"),
      maxJobs: value("--max-jobs <n>", "stop after claiming this many jobs", positive),
      timeout: value("--timeout <seconds>", "stop claiming after this long; running jobs finish", seconds),
      concurrency: value(
        "-c, --concurrency <n>",
        "jobs at once (default: the worker's concurrency)",
        positive,
      ),
      worker: value(
        "-w, --worker <name>",
        "the pull worker to launch for (default: the project's default)",
        name,
      ),
      category: list("--category <names>", "only jobs of these categories", name),
      run: value("--run <id>", "run exactly this reserved run (what a reservation-mode pilot does)", id),
      flow: list("--flow <ids>", "only jobs of these flows (comma-separated or repeated)", id),
      quiet: flag("-q, --quiet", "no progress display"),
      json: flag("--json", "print the summary as JSON"),
    },
    help: "Ctrl+C once: stop claiming and wait for running jobs. Twice: interrupt them (they go back to READY).\nStopped by Ctrl+C or SIGTERM, launch exits 130 (after its summary).",
    load: async () => (await import("./commands/launch.ts")).launch,
  }),
  command("rerun", {
    summary: "rerun jobs: archive their runs, reset them and their descendants",
    options: {
      ...change,
      force,
      taskLevel: flag(
        "--task-level",
        "resume at the task that failed, with the outputs of the tasks before it",
      ),
      copyData: flag(
        "--copy-data",
        "task level: copy the previous launch directory's files into the new one",
      ),
      previousDir: flag("--previous-dir", "task level: run in the previous launch directory"),
      clearRecovery: flag("--clear-recovery", "forget saved task-level recovery: start again at task 0"),
      set: repeat(
        "--set <path=value>",
        "edit the job with the rerun, e.g. resources.walltime=4:00:00 (repeatable)",
      ),
    },
    help: 'Examples:\n  ferry rerun --state FAILED\n  ferry rerun --runs --query \'{"error.stack": {"$regex": "Segmentation fault"}}\'\n  ferry rerun --id 12 --task-level --set resources.walltime=8:00:00',
    load: async () => (await import("./commands/rerun.ts")).rerun,
  }),
  ...(
    [
      ["pause", "hold WAITING or READY jobs (resume releases them)"],
      ["resume", "release paused jobs (READY when their parents are done)"],
      ["cancel", "cancel jobs that have not finished; a live run is stopped; children do not run"],
      ["reignite", "bring cancelled jobs back (READY when their parents are done)"],
      ["retry", "release HELD jobs (e.g. a submission the scheduler refused)"],
    ] as const
  ).map(([verb, summary]) =>
    command(verb, {
      summary,
      options: change,
      load: async () => (await import("./commands/change.ts")).simple(verb),
    }),
  ),
  command("archive", {
    summary: "archive jobs (kept, hidden from lists, never run)",
    options: { ...change, force },
    load: async () => (await import("./commands/change.ts")).archive,
  }),
  command("delete", {
    summary: "delete jobs, their descendants, runs and history",
    options: { ...change, force, files },
    load: async () => (await import("./commands/change.ts")).remove,
  }),
  command("set-priority", {
    summary: "set the priority of jobs (higher runs first)",
    args: [arg("<priority>", "a number", finite)],
    options: change,
    load: async () => (await import("./commands/change.ts")).setPriority,
  }),
  command("update", {
    summary: "edit inputs, resources or priority of jobs that have not run (or failed)",
    options: {
      ...change,
      set: repeat(
        "--set <path=value>",
        "inputs.<path>=<json or text>, resources.<key>=<value>, priority=<n> (repeatable)",
      ),
    },
    load: async () => (await import("./commands/change.ts")).update,
  }),
  command("detect-lost", {
    summary: "find runs whose launcher or heartbeat went silent; collect the ones that finished",
    options: {
      fail: flag("--fail", "mark lost runs' jobs FAILED (their checkpoint is kept)"),
      rerun: flag("--rerun", "fail lost runs' jobs and rerun them"),
      taskLevel: flag("--task-level", "with --rerun: resume at the task that was running"),
      ...json,
    },
    load: async () => (await import("./commands/lost.ts")).detectLost,
  }),
  command("report", {
    summary: "jobs started, completed, failed and cancelled per interval, with the success ratio",
    options: {
      interval: value(
        "--interval <unit>",
        "hours, days or weeks (default days)",
        choice(["hours", "days", "weeks"]),
      ),
      count: value("--count <n>", "number of intervals (default 7)", positive),
      ...json,
    },
    load: async () => (await import("./commands/report.ts")).report,
  }),
  command("offline submit", {
    summary: "reserve READY jobs, write their bundles and submit them to the worker's scheduler",
    options: {
      worker: value("-w, --worker <name>", "the offline worker (default: the first one)", name),
      maxJobs: value("--max-jobs <n>", "submit at most this many jobs now", positive),
      id: list("-i, --id <ids>", "only these jobs (if READY)", id),
      ...json,
    },
    load: async () => (await import("./commands/offline.ts")).submit,
  }),
  command("offline recover", {
    summary: "read the launch directories of active offline runs and update their jobs (safe to repeat)",
    options: {
      worker: value("-w, --worker <name>", "only this worker", name),
      quiet: flag("-q, --quiet", "no progress bar"),
      json: flag("--json", "print a summary as JSON"),
    },
    load: async () => (await import("./commands/offline.ts")).recover,
  }),
  command("offline forget", {
    summary:
      "stop recovering the selected jobs' offline runs; the jobs stay as they are until rerun or cancel",
    options: change,
    load: async () => (await import("./commands/offline.ts")).forget,
  }),
  command("qlaunch singleshot", {
    summary: "submit one pilot job",
    options: {
      ...pilots,
      id: list("-i, --id <ids>", "reservation mode: this job", id),
      ...json,
    },
    load: async () => (await import("./commands/qlaunch.ts")).singleshot,
  }),
  command("qlaunch rapidfire", {
    summary: "keep pilots queued while work waits; stop when none is left",
    options: {
      ...pilots,
      maxQueued: value(
        "-m, --max-queued <n>",
        "at most this many pilots queued or running (default: maxQueued, or 10)",
        positive,
      ),
      nlaunches: value("--nlaunches <n>", "submit this many pilots, then stop (or: infinite)", (t) =>
        t === "infinite" ? Number.POSITIVE_INFINITY : positive(t),
      ),
      sleep: value("--sleep <seconds>", "between rounds (default 5)", seconds),
      timeout: value("--timeout <seconds>", "stop submitting after this long", seconds),
      ...json,
    },
    load: async () => (await import("./commands/qlaunch.ts")).rapidfire,
  }),
  command("runner start", {
    summary: "start the runner daemon for the project's managed workers (detached unless --foreground)",
    options: {
      foreground: flag("--foreground", "run in this terminal (log lines to stdout; Ctrl+C stops it)"),
      worker: list("-w, --worker <names>", "only these managed workers (default: every one)", name),
      ...json,
    },
    help: "Detached, the runner logs to .ferry/runner/ (read it with `ferry runner logs`). An ssh host that asks a one-time code is logged in to here first, answering at this terminal; the detached runner reuses that connection.",
    load: async () => (await import("./commands/runner.ts")).start,
  }),
  command("runner stop", {
    summary: "ask every runner of the project to stop (from any machine that reaches the database)",
    options: {
      wait: flag("--wait", "wait until they have stopped"),
      timeout: value("--timeout <seconds>", "with --wait: give up after this long (default 120)", seconds),
      ...json,
    },
    load: async () => (await import("./commands/runner.ts")).stop,
  }),
  command("runner status", {
    summary: "the project's runners and each managed worker's state, queue counts, last error, next cycle",
    options: { ...json },
    load: async () => (await import("./commands/runner.ts")).status,
  }),
  command("runner logs", {
    summary: "the runner log: one line per step",
    options: {
      follow: flag("-f, --follow", "keep printing new lines (Ctrl+C stops)"),
      lines: value("-n, --lines <n>", "only the last n lines", positive),
      json: flag("--json", "JSON lines, as written"),
    },
    load: async () => (await import("./commands/runner.ts")).logs,
  }),
];
