/** The command table, part two: commands that change jobs and flows, lost runs, logs, report. */
import type { Command } from "commander";
import {
  controlCommands,
  flowControl,
  rerunCommand,
  setPriorityCommand,
  updateCommand,
} from "./commands/change.ts";
import { jobLogs } from "./commands/logs.ts";
import { detectLostCommand } from "./commands/lost.ts";
import { report } from "./commands/report.ts";
import type { Context } from "./context.ts";
import { json } from "./output.ts";
import * as print from "./print-control.ts";
import { addSelectorOptions } from "./selectors.ts";

type Run = (fn: (c: Context) => Promise<void>) => () => Promise<void>;

const collect = (v: string, prev: string[] = []) => [...prev, v];

function changeOptions(cmd: Command): Command {
  return addSelectorOptions(cmd, { all: true })
    .option("--dry-run", "show what would change, change nothing")
    .option("-y, --yes", "do not ask before changing more than 10 jobs")
    .option("--json", "print the result as JSON");
}

const DESCRIPTIONS: Record<string, string> = {
  pause: "hold WAITING or READY jobs (resume releases them)",
  resume: "release paused jobs (READY when their parents are done)",
  cancel: "cancel jobs that have not finished; a live run is stopped; children do not run",
  reignite: "bring cancelled jobs back (READY when their parents are done)",
  archive: "archive jobs (kept, hidden from lists, never run)",
  delete: "delete jobs, their descendants, runs and history",
};

export function registerControlCommands(program: Command, run: Run): void {
  changeOptions(
    program
      .command("rerun")
      .description("rerun jobs: archive their runs, reset them and their descendants")
      .option("--force", "stop live (queued or running) runs first instead of refusing")
      .option("--task-level", "resume at the task that failed, with the outputs of the tasks before it")
      .option("--copy-data", "task level: copy the previous launch directory's files into the new one")
      .option("--previous-dir", "task level: run in the previous launch directory")
      .option("--clear-recovery", "forget saved task-level recovery: start from the first task")
      .option(
        "--set <path=value>",
        "edit the job with the rerun, e.g. resources.walltime=4:00:00 (repeatable)",
        collect,
      )
      .addHelpText(
        "after",
        '\nExamples:\n  ferry rerun --state FAILED\n  ferry rerun --runs --query \'{"error.stack": {"$regex": "Segmentation fault"}}\'\n  ferry rerun --id 12 --task-level --set resources.walltime=8:00:00',
      ),
  ).action((o: Record<string, unknown>) =>
    run(async (c) => {
      const r = await rerunCommand(c, o);
      if (o.json) c.out.write(json(r));
      else print.printRerun(c.out, r as never);
    })(),
  );

  for (const [verb, description] of Object.entries(DESCRIPTIONS)) {
    const cmd = changeOptions(program.command(verb).description(description));
    if (verb === "archive" || verb === "delete")
      cmd.option("--force", "stop live runs first instead of refusing");
    if (verb === "delete")
      cmd.option("--files", "also remove the launch directories (only those holding ferry's _ferry folder)");
    cmd.action((o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await controlCommands[verb]!(c, o);
        if (o.json) c.out.write(json(r));
        else print.printChange(c.out, r);
      })(),
    );
  }

  changeOptions(
    program
      .command("set-priority")
      .description("set the priority of jobs (higher runs first)")
      .argument("<priority>", "a number"),
  ).action((priority: string, o: Record<string, unknown>) =>
    run(async (c) => {
      const r = await setPriorityCommand(c, priority, o);
      if (o.json) c.out.write(json(r));
      else print.printChange(c.out, r);
    })(),
  );

  changeOptions(
    program
      .command("update")
      .description("edit inputs, resources or priority of jobs that have not run (or failed)")
      .option(
        "--set <path=value>",
        "inputs.<path>=<json or text>, resources.<key>=<value>, priority=<n> (repeatable)",
        collect,
      ),
  ).action((o: Record<string, unknown>) =>
    run(async (c) => {
      const r = await updateCommand(c, o);
      if (o.json) c.out.write(json(r));
      else print.printChange(c.out, r);
    })(),
  );

  const flows = program.commands.find((x) => x.name() === "flows")!;
  for (const verb of ["pause", "resume", "cancel", "archive", "delete"]) {
    const cmd = flows
      .command(verb)
      .description(`${verb} every job of the flows`)
      .argument("[ids...]", "flow ids")
      .option("--all", "every flow")
      .option("--dry-run", "show what would change, change nothing")
      .option("-y, --yes", "do not ask before changing more than 10 jobs")
      .option("--json", "print the result as JSON");
    if (verb === "archive" || verb === "delete")
      cmd.option("--force", "stop live runs first instead of refusing");
    if (verb === "delete") cmd.option("--files", "also remove the launch directories");
    cmd.action((ids: string[], o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await flowControl(c, verb, ids, o);
        if (o.json) c.out.write(json(r));
        else print.printChange(c.out, r);
      })(),
    );
  }

  program
    .command("detect-lost")
    .description("find runs whose launcher or heartbeat went silent; collect the ones that finished")
    .option("--fail", "mark lost runs' jobs FAILED (their checkpoint is kept)")
    .option("--rerun", "fail lost runs' jobs and rerun them")
    .option("--task-level", "with --rerun: resume at the task that was running")
    .option("--json", "print as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await detectLostCommand(c, o);
        if (o.json) c.out.write(json(r));
        else print.printLost(c.out, r);
      })(),
    );

  const jobs = program.commands.find((x) => x.name() === "jobs")!;
  jobs
    .command("logs")
    .description("the tail of each task's stdout and stderr in the job's latest run")
    .argument("<id>", "job id")
    .option("--task <n>", "only this task")
    .option("--lines <n>", "lines per stream (default 40)")
    .option("--run <id>", "an earlier run instead of the latest")
    .option("-f, --follow", "keep printing until the run ends")
    .action((id: string, o: Record<string, unknown>) => run((c) => jobLogs(c, Number(id), o))());

  program
    .command("report")
    .description("jobs started, completed, failed and cancelled per interval, with the success ratio")
    .option("--interval <unit>", "hours, days or weeks (default days)")
    .option("--count <n>", "number of intervals (default 7)")
    .option("--json", "print as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await report(c, o);
        if (o.json) c.out.write(json(r));
        else print.printReport(c.out, r);
      })(),
    );
}
