/**
 * Neutral resources → `#SBATCH` lines. SLURM can express every neutral key, so the only
 * refusals here are unsafe values (control characters, unquotable quotes) and a walltime warning
 * that does not fit the walltime. Values are double-quoted when they are not plain words: sbatch
 * cuts an unquoted value at a blank or a `#` (recorded: `--comment=a#b` became `a`, see
 * test/fixtures/schedulers/slurm/directives-quoting.yaml).
 */

import {
  checkArraySize,
  customDirectives,
  DirectiveProblems,
  quoteDirectiveValue,
  withArrayIndex,
} from "../common/directives.ts";
import type { SubmitRequest } from "../types.ts";

/** D-HH:MM:SS; sbatch rounds up to whole minutes (infra.md §1.4: `0:10` becomes 1 minute). */
export function formatSlurmTime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d}-${pad(h)}:${pad(m)}:${pad(s)}`;
}

/** sbatch expands %j, %A, %a, ... in --output/--error; a literal % must be written %%. */
function slurmPath(path: string): string {
  return withArrayIndex(path.replaceAll("%", "%%"), "%a");
}

const MAIL_TYPES = { begin: "BEGIN", end: "END", fail: "FAIL" } as const;

export function renderSlurmDirectives(req: SubmitRequest): string[] {
  const problems = new DirectiveProblems("slurm");
  const r = req.resources;
  const lines: string[] = [];
  const opt = (name: string, value?: string | number) => {
    if (value === undefined) lines.push(`#SBATCH --${name}`);
    else lines.push(`#SBATCH --${name}=${quoteDirectiveValue(problems, name, String(value))}`);
  };

  opt("job-name", r.jobName ?? req.jobName);
  opt("chdir", req.workDir);
  opt("output", slurmPath(req.stdoutPath));
  opt("error", slurmPath(req.stderrPath));
  if (r.nodes !== undefined) opt("nodes", r.nodes);
  if (r.processes !== undefined) opt("ntasks", r.processes);
  if (r.processesPerNode !== undefined) opt("ntasks-per-node", r.processesPerNode);
  if (r.cpusPerProcess !== undefined) opt("cpus-per-task", r.cpusPerProcess);
  if (r.gpus !== undefined && r.gpus > 0) opt("gpus-per-node", r.gpus);
  if (r.memoryMB !== undefined) opt("mem", `${r.memoryMB}M`);
  if (r.walltimeSeconds !== undefined) opt("time", formatSlurmTime(r.walltimeSeconds));
  if (r.queue !== undefined) opt("partition", r.queue);
  if (r.account !== undefined) opt("account", r.account);
  if (r.qos !== undefined) opt("qos", r.qos);
  if (r.reservation !== undefined) opt("reservation", r.reservation);
  if (r.constraint !== undefined) opt("constraint", r.constraint);
  if (r.exclusive === true) opt("exclusive");
  if (r.mail !== undefined) {
    opt("mail-user", r.mail.user);
    opt("mail-type", r.mail.events.map((e) => MAIL_TYPES[e]).join(","));
  }
  checkArraySize(problems, req.arraySize, true);
  if (req.arraySize !== undefined) opt("array", `1-${req.arraySize}`);
  if (req.warning !== undefined) {
    const { signal, secondsBefore } = req.warning;
    if (!Number.isInteger(secondsBefore) || secondsBefore < 1 || secondsBefore > 65535) {
      problems.add(
        "warning.secondsBefore",
        `must be a whole number of seconds from 1 to 65535, got ${secondsBefore}`,
      );
    } else if (r.walltimeSeconds !== undefined && secondsBefore >= r.walltimeSeconds) {
      problems.add(
        "warning.secondsBefore",
        `${secondsBefore} s is not before a walltime of ${r.walltimeSeconds} s`,
      );
    }
    // B: signals only the batch shell (the wrapper), not every job step; SLURM may send it up to
    // 60 s early (sbatch(1) --signal). Recorded: @40 with --time=1 arrived 22 s after the start.
    opt("signal", `B:${signal}@${secondsBefore}`);
  }
  lines.push(...customDirectives(problems, "#SBATCH", r.custom));
  problems.throwIfAny();
  return lines;
}
