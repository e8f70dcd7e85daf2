/** The command table, part three: offline mode and retry. */
import type { Command } from "commander";
import { forgetCommand, recoverCommand, retryCommand, submitCommand } from "./commands/offline.ts";
import { qlaunchCommand } from "./commands/qlaunch.ts";
import type { Context } from "./context.ts";
import { EXIT } from "./exit-codes.ts";
import { json, paint, table } from "./output.ts";
import { printChange } from "./print-control.ts";
import { addSelectorOptions } from "./selectors.ts";

type Run = (fn: (c: Context) => Promise<void>) => () => Promise<void>;

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",")];

export function registerOfflineCommands(
  program: Command,
  run: Run,
  setExitCode: (code: number) => void,
): void {
  const offline = program
    .command("offline")
    .description("offline mode: compute nodes that cannot reach the database (shared filesystem)");
  offline
    .command("submit")
    .description("reserve READY jobs, write their bundles and submit them to the worker's scheduler")
    .option("-w, --worker <name>", "the offline worker (default: the first one)")
    .option("--max-jobs <n>", "submit at most this many jobs now")
    .option("-i, --id <ids>", "only these jobs (if READY)", collect)
    .option("--json", "print as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const s = await submitCommand(c, o);
        if (o.json) c.out.write(json(s));
        else {
          if (s.submitted.length > 0) {
            c.out.write(
              table(
                ["JOB", "NAME", "RUN", "SCHEDULER ID", "LAUNCH DIR"],
                s.submitted.map((x) => [
                  String(x.jobId),
                  x.name,
                  String(x.runId),
                  x.schedulerId ?? "?",
                  x.launchDir,
                ]),
                c.out,
              ),
            );
          }
          c.out.write(
            `submitted ${s.submitted.length} job${s.submitted.length === 1 ? "" : "s"} to worker ${s.worker}${s.limitedBy ? ` (${s.limitedBy})` : ""}\n`,
          );
          const a = s.adopted;
          if (a.examined > 0)
            c.out.write(
              `an earlier submit stopped half-way: ${a.collected.length} collected, ${a.started.length} running, ${a.found.length} found in the queue, ${a.released.length} back to READY, ${a.left.length} to look at again\n`,
            );
          for (const u of s.unknown)
            c.out.write(paint(c.out, "yellow", `? job ${u.jobId} ${u.name}: ${u.message}\n`));
          for (const f of s.failed)
            c.out.write(paint(c.out, "red", `✗ job ${f.jobId} ${f.name} failed: ${f.message}\n`));
          for (const h of s.held)
            c.out.write(
              paint(
                c.out,
                "yellow",
                `! job ${h.jobId} ${h.name} held: ${h.message} (ferry retry --id ${h.jobId} releases it)\n`,
              ),
            );
        }
        if (s.held.length > 0) setExitCode(EXIT.scheduler);
        else if (s.failed.length > 0) setExitCode(EXIT.jobsFailed);
      })(),
    );
  offline
    .command("recover")
    .description("read the launch directories of active offline runs and update their jobs (safe to repeat)")
    .option("-w, --worker <name>", "only this worker")
    .option("-q, --quiet", "no progress bar")
    .option("--json", "print a summary as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const s = await recoverCommand(c, o);
        if (o.json) c.out.write(json(s));
        else {
          c.out.write(
            `examined ${s.examined} run${s.examined === 1 ? "" : "s"}: ${s.started.length} started, ${s.completed.length} completed, ${s.failed.length} failed, ${s.finished.length} finished without a result yet, ${s.alreadyApplied.length} already recovered\n`,
          );
          for (const p of s.problems)
            c.out.write(
              paint(
                c.out,
                "yellow",
                `! ${p.jobId >= 0 ? `job ${p.jobId}: ` : ""}${p.problem} (will retry)\n`,
              ),
            );
          for (const x of s.silent)
            c.out.write(
              paint(
                c.out,
                "yellow",
                `! job ${x.jobId}: no heartbeat for ${x.seconds} s (ferry detect-lost)\n`,
              ),
            );
          for (const x of s.deferred)
            c.out.write(
              `${x.worker}: scheduler status not asked (statusIntervalSeconds); next call allowed in ${x.seconds} s\n`,
            );
        }
        if (s.failed.length > 0) setExitCode(EXIT.jobsFailed);
      })(),
    );
  addSelectorOptions(
    offline
      .command("forget")
      .description(
        "stop recovering the selected jobs' offline runs; the jobs stay as they are until rerun or cancel",
      ),
    { all: true },
  )
    .option("--dry-run", "show what would change")
    .option("-y, --yes", "do not ask before changing more than 10 jobs")
    .option("--json", "print as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await forgetCommand(c, o);
        if (o.json) c.out.write(json(r));
        else
          c.out.write(
            r.dryRun
              ? `would forget the runs of ${r.selected.length} jobs\n`
              : `forgot ${r.runIds.length} run${r.runIds.length === 1 ? "" : "s"}\n`,
          );
      })(),
    );
  const qlaunch = program
    .command("qlaunch")
    .description("submit pilot jobs that run ferry launch on compute nodes (FireWorks' qlaunch)");
  for (const mode of ["singleshot", "rapidfire"] as const) {
    const cmd = qlaunch
      .command(mode)
      .description(
        mode === "singleshot"
          ? "submit one pilot job"
          : "keep pilots queued while work waits; stop when none is left",
      )
      .option("-w, --worker <name>", "the pull worker with a queue: section (default: the first one)")
      .option("-r, --reserve", "reservation mode: one pilot per job, with the job's own resources")
      .option("--once", "pilots run one job each instead of rapidfire inside")
      .option("--json", "print as JSON");
    if (mode === "singleshot") cmd.option("-i, --id <ids>", "reservation mode: this job", collect);
    else {
      cmd
        .option(
          "-m, --max-queued <n>",
          "at most this many pilots queued or running (default: the worker's maxQueued, or 10)",
        )
        .option("--nlaunches <n>", "submit this many pilots, then stop (or: infinite)")
        .option("--sleep <seconds>", "between rounds (default 5)")
        .option("--timeout <seconds>", "stop submitting after this long");
    }
    cmd.action((o: Record<string, unknown>) =>
      run(async (c) => {
        const s = await qlaunchCommand(c, mode, o);
        if (o.json) c.out.write(json(s));
        else {
          c.out.write(
            `submitted ${s.pilots.length} pilot${s.pilots.length === 1 ? "" : "s"} (${s.stoppedBecause})\n`,
          );
          for (const h of s.held)
            c.out.write(paint(c.out, "yellow", `! job ${h.jobId} held: ${h.message}\n`));
          for (const f of s.failed)
            c.out.write(paint(c.out, "red", `✗ job ${f.jobId} failed: ${f.message}\n`));
        }
        if (s.held.length > 0) setExitCode(EXIT.scheduler);
      })(),
    );
  }
  addSelectorOptions(
    program.command("retry").description("release HELD jobs (e.g. a submission the scheduler refused)"),
    { all: true },
  )
    .option("--dry-run", "show what would change")
    .option("-y, --yes", "do not ask before changing more than 10 jobs")
    .option("--json", "print as JSON")
    .action((o: Record<string, unknown>) =>
      run(async (c) => {
        const r = await retryCommand(c, o);
        if (o.json) c.out.write(json(r));
        else printChange(c.out, r as never);
      })(),
    );
}
