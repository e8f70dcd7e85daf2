/**
 * Neutral resources → `#BSUB` lines for IBM Spectrum LSF 10.1. LSF counts slots: each process
 * gets cpusPerProcess slots (`-n`), a node count becomes `span[ptile=<slots per node>]`.
 * Memory is reserved per host with `rusage[mem=<n>MB/host]` (the `/host` method needs LSF
 * 10.1.0.9+: release notes "Specify resource reservation method in the rusage string"); GPUs with
 * `-gpu "num=N"` (per host by default). The walltime warning is `-wa <signal> -wt <minutes>`:
 * LSF counts the warning time in whole minutes, so it is rounded up (the signal comes at least
 * as early as asked). `-W` is in minutes too, rounded up.
 */

import {
  checkArraySize,
  customDirectives,
  DirectiveProblems,
  quoteDirectiveValue,
  sanitizeJobName,
  withArrayIndex,
} from "../common/directives.ts";
import type { JobNameLimits, SubmitRequest } from "../types.ts";

/** Job names lsf keeps whole (also the limit of ferry's run names: common/names.ts). */
export const LSF_JOB_NAME: JobNameLimits = { maxLength: 200, startWithLetter: false };

/** bsub expands %J and %I in -o/-e and has no escape for a literal %. */
function lsfPath(problems: DirectiveProblems, field: string, path: string): string {
  if (path.includes("%"))
    problems.add(field, `${JSON.stringify(path)}: LSF reads % in -o/-e paths as %J/%I patterns`);
  return quoteDirectiveValue(problems, field, withArrayIndex(path, "%I"));
}

const minutesUp = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

function slotLines(problems: DirectiveProblems, req: SubmitRequest): string[] {
  const r = req.resources;
  const threads = r.cpusPerProcess ?? 1;
  const lines: string[] = [];
  let processes = r.processes;
  let perNode = r.processesPerNode;
  // processes per node alone means one node of them (as sbatch reads --ntasks-per-node alone)
  const nodes = r.nodes ?? (processes === undefined && perNode !== undefined ? 1 : undefined);
  if (nodes !== undefined) {
    processes ??= nodes * (perNode ?? 1);
    perNode ??= processes / nodes;
    if (!Number.isInteger(perNode)) {
      problems.add("processes", `${processes} processes do not divide evenly over ${nodes} nodes`);
    }
  }
  if (processes !== undefined) lines.push(`-n ${processes * threads}`);
  else if (threads > 1) lines.push(`-n ${threads}`);
  if (perNode !== undefined) lines.push(`-R "span[ptile=${perNode * threads}]"`);
  else if (processes === undefined && threads > 1) lines.push('-R "span[hosts=1]"');
  if (nodes === undefined && perNode === undefined && processes !== undefined) {
    for (const [key, present] of [
      ["memory", r.memoryMB !== undefined],
      ["gpus", (r.gpus ?? 0) > 0],
    ] as const) {
      if (present)
        problems.add(
          key,
          `${key} is per node: give nodes or processesPerNode so LSF knows how the processes are spread`,
        );
    }
  }
  if (r.memoryMB !== undefined) lines.push(`-R "rusage[mem=${r.memoryMB}MB/host]"`);
  if ((r.gpus ?? 0) > 0) lines.push(`-gpu "num=${r.gpus}"`);
  return lines;
}

export function renderLsfDirectives(req: SubmitRequest): string[] {
  const problems = new DirectiveProblems("lsf");
  const r = req.resources;
  const q = (field: string, value: string) => quoteDirectiveValue(problems, field, value);
  const name = sanitizeJobName(r.jobName ?? req.jobName, LSF_JOB_NAME);
  checkArraySize(problems, req.arraySize, true);
  const lines: string[] = [];
  lines.push(req.arraySize === undefined ? `-J ${name}` : `-J "${name}[1-${req.arraySize}]"`);
  lines.push(`-cwd ${q("workDir", req.workDir)}`);
  lines.push(`-o ${lsfPath(problems, "stdoutPath", req.stdoutPath)}`);
  lines.push(`-e ${lsfPath(problems, "stderrPath", req.stderrPath)}`);
  lines.push(...slotLines(problems, req));
  if (r.walltimeSeconds !== undefined) lines.push(`-W ${minutesUp(r.walltimeSeconds)}`);
  if (req.warning !== undefined) {
    const { signal, secondsBefore } = req.warning;
    if (!Number.isInteger(secondsBefore) || secondsBefore < 1) {
      problems.add(
        "warning.secondsBefore",
        `must be a positive whole number of seconds, got ${secondsBefore}`,
      );
    } else if (r.walltimeSeconds !== undefined && minutesUp(secondsBefore) >= minutesUp(r.walltimeSeconds)) {
      problems.add(
        "warning.secondsBefore",
        `LSF counts minutes: ${minutesUp(secondsBefore)} min is not before a ${minutesUp(r.walltimeSeconds)} min walltime`,
      );
    }
    lines.push(`-wa ${signal}`, `-wt ${minutesUp(secondsBefore)}`);
  }
  if (r.queue !== undefined) lines.push(`-q ${q("queue", r.queue)}`);
  if (r.account !== undefined) lines.push(`-P ${q("account", r.account)}`);
  if (r.reservation !== undefined) lines.push(`-U ${q("reservation", r.reservation)}`);
  if (r.qos !== undefined) problems.unsupported("qos", "qos (its service classes are -sla)", "-sla myclass");
  if (r.constraint !== undefined) {
    if (/^[A-Za-z][\w.-]*$/.test(r.constraint)) lines.push(`-R "select[${r.constraint}]"`);
    else
      problems.unsupported(
        "constraint",
        "SLURM-style feature expressions (LSF writes them as select[...] strings)",
        '-R "select[a && b]"',
      );
  }
  if (r.exclusive === true) lines.push("-x");
  if (r.mail !== undefined) {
    lines.push(`-u ${q("mail.user", r.mail.user)}`);
    const events = new Set(r.mail.events);
    if (events.has("begin")) lines.push("-B");
    if (events.has("end")) lines.push("-N");
    else if (events.has("fail")) {
      problems.add(
        "mail.events",
        'lsf mails at job end whether it failed or not (-N), never only on failure: use events ["end"]',
      );
    }
  }
  const directives = lines.map((l) => `#BSUB ${l}`);
  directives.push(...customDirectives(problems, "#BSUB", r.custom));
  problems.throwIfAny();
  return directives;
}
