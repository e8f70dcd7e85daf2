/**
 * The command table: every command, its options and examples, in one place. Each action calls a
 * command module (commands/*.ts, which returns data) and a printer (print.ts) or --json.
 * Unknown commands and flags are errors (commander's default, kept).
 */
import { Command, Option } from "commander";
import { FERRY_VERSION } from "../bundle/write.ts";
import { UsageError } from "../model/errors.ts";
import { add } from "./commands/add.ts";
import { demo } from "./commands/demo.ts";
import { execBundle } from "./commands/exec.ts";
import { listFlows, showFlow } from "./commands/flows.ts";
import { init } from "./commands/init.ts";
import { listJobs, showJob } from "./commands/jobs.ts";
import { launchCommand } from "./commands/launch.ts";
import type { Context } from "./context.ts";
import { EXIT } from "./exit-codes.ts";
import { json } from "./output.ts";
import * as print from "./print.ts";
import { registerControlCommands } from "./program-control.ts";
import { registerOfflineCommands } from "./program-offline.ts";
import { addSelectorOptions, filterFromOptions } from "./selectors.ts";

export interface ProgramIO {
  /** Called with the exit code a command wants (0 by default). */
  setExitCode(code: number): void;
  context(options: { project?: string; database?: string }): Context;
}

function id(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`expected a numeric id, got "${text}"`);
  return Number(text);
}

const EXAMPLES = `
Examples:
  ferry init                       write a ferry.yaml here
  ferry add flow.yaml              add a flow (prints its id and job ids)
  ferry launch                     run READY jobs here until none are left
  ferry jobs list --state FAILED   list failed jobs
  ferry jobs show 12               a job's inputs, outputs, runs and history
  ferry demo                       run the demo (= npm start)

Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not found, 5 database, 6 jobs failed,
7 refused, 8 scheduler/transport, 130 interrupted, 1 internal error.`;

export function buildProgram(io: ProgramIO): Command {
  const program = new Command("ferry")
    .description(
      "ferry: workflows of jobs on HPC clusters — no database server, nothing to install on compute nodes",
    )
    .version(FERRY_VERSION)
    .option(
      "-p, --project <path>",
      "ferry.yaml, or the folder holding it (default: search upwards; env FERRY_PROJECT)",
    )
    .option(
      "--database <url>",
      "override the project's database (postgres://… or a SQLite path; env FERRY_DATABASE_URL)",
    )
    .addHelpText("after", EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride();
  const ctx = () => io.context(program.opts());
  const run = (fn: (c: Context) => Promise<void>) => async () => {
    await using c = ctx();
    await fn(c);
  };

  program
    .command("init")
    .description("write a commented ferry.yaml")
    .argument("[dir]", "project folder", ".")
    .option("--database <url>", "postgres://… or a SQLite path (default: .ferry/ferry.db)")
    .option("--force", "overwrite an existing ferry.yaml")
    .option("--json", "print the result as JSON")
    .action(async (dir: string, o: { database?: string; force?: boolean; json?: boolean }) => {
      const c = ctx();
      const r = init(c.cwd, {
        dir,
        ...(o.database ? { database: o.database } : {}),
        ...(o.force ? { force: true } : {}),
      });
      c.out.write(o.json ? json(r) : `wrote ${r.file}\n`);
    });

  program
    .command("add")
    .description("add flows from YAML or JSON files (all files are checked before anything is written)")
    .argument("<files...>", "flow files")
    .option("--json", "print flow and job ids as JSON")
    .action((files: string[], o: { json?: boolean }) =>
      run(async (c) => {
        const added = await add(c, files);
        if (o.json) c.out.write(json(added));
        else print.printAdded(c.out, added);
      })(),
    );

  const flows = program.command("flows").description("list and inspect flows");
  flows
    .command("list")
    .description("flows with their derived state")
    .option("-s, --state <states...>", "only flows in these states")
    .option("--limit <n>", "at most this many (newest first)", "100")
    .option("--json", "print as JSON")
    .action((o: { state?: string[]; limit: string; json?: boolean }) =>
      run(async (c) => {
        const list = await listFlows(c, { limit: Number(o.limit), ...(o.state ? { state: o.state } : {}) });
        if (o.json) c.out.write(json(list));
        else print.printFlows(c.out, list);
      })(),
    );
  flows
    .command("show")
    .description("a flow, its jobs and their parents")
    .argument("<id>", "flow id", id)
    .option("--json", "print as JSON")
    .action((flowId: number, o: { json?: boolean }) =>
      run(async (c) => {
        const d = await showFlow(c, flowId);
        if (o.json) c.out.write(json(d));
        else print.printFlow(c.out, d);
      })(),
    );

  const jobs = program.command("jobs").description("list and inspect jobs");
  addSelectorOptions(
    jobs
      .command("list")
      .description("jobs matching the selectors (all jobs but archived ones by default)")
      .option("--limit <n>", "at most this many")
      .option("--json", "print as JSON (with inputs and outputs)"),
  ).action((o: Record<string, unknown>) =>
    run(async (c) => {
      const list = await listJobs(c, filterFromOptions(o), o.limit ? { limit: Number(o.limit) } : {});
      if (o.json) c.out.write(json(list));
      else print.printJobs(c.out, list);
    })(),
  );
  jobs
    .command("show")
    .description("a job: tasks, inputs, outputs, runs with errors, history")
    .argument("<id>", "job id", id)
    .option("--runs", "include archived runs (earlier attempts)")
    .option("--json", "print as JSON")
    .action((jobId: number, o: { runs?: boolean; json?: boolean }) =>
      run(async (c) => {
        const d = await showJob(c, jobId, o.runs ? { runs: true } : {});
        if (o.json) c.out.write(json(d));
        else print.printJob(c.out, d);
      })(),
    );

  program
    .command("launch")
    .description("run READY jobs on this machine (pull mode; FireWorks' rlaunch)")
    .option("--once", "run one job and stop (singleshot)")
    .option("--max-jobs <n>", "stop after claiming this many jobs")
    .option("--timeout <seconds>", "stop claiming after this long; running jobs finish")
    .option("-c, --concurrency <n>", "jobs at once (default: the worker's concurrency)")
    .option("-w, --worker <name>", "the pull worker to launch for (default: the project's default)")
    .option("--category <names...>", "only jobs of these categories")
    .option("--run <id>", "run exactly this reserved run (what a reservation-mode pilot does)")
    .option("-q, --quiet", "no progress display")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      "\nCtrl+C once: stop claiming and wait for running jobs. Twice: interrupt them (they go back to READY).",
    )
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const summary = await launchCommand(c, o);
        if (o.json) c.out.write(json(summary));
        else print.printLaunch(c.out, summary);
        if (summary.failed > 0 || summary.lost > 0) io.setExitCode(EXIT.jobsFailed);
      })(),
    );

  program
    .command("exec")
    .description("run a job bundle (a launch directory) by hand, in the foreground")
    .argument("<dir>", "launch directory")
    .action(async (dir: string) => {
      io.setExitCode(await execBundle(dir));
    });

  program
    .command("demo")
    .description("run the demo flow in a throwaway project (npm start)")
    .option("--keep", "keep the throwaway project folder")
    .addOption(new Option("--dir <path>", "use this (empty) folder instead of a temporary one").hideHelp())
    .option("--json", "print the result as JSON")
    .action(async (o: { keep?: boolean; dir?: string; json?: boolean }) => {
      const c = ctx();
      const r = await demo(c, { ...(o.keep ? { keep: true } : {}), ...(o.dir ? { dir: o.dir } : {}) });
      if (o.json) c.out.write(json(r));
      else print.printDemo(c.out, r);
      if (!r.ok) io.setExitCode(EXIT.jobsFailed);
    });

  registerControlCommands(program, run);
  registerOfflineCommands(program, run, io.setExitCode);
  return program;
}
