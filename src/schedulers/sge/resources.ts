/**
 * Neutral resources → `#$` lines for (Son of) Grid Engine. SGE has no node count: parallel work
 * needs a parallel environment whose name is site-specific, so nodes/processes/cpus above one are
 * refused with that advice instead of guessed. Memory is `h_vmem` (a hard per-slot limit, and
 * ferry asks for one slot). The walltime warning is the soft limit `s_rt`, which SGE enforces
 * with SIGUSR1 (queue_conf(5)), so only USR1 can be promised. Two recorded caveats (SGE 8.1.9,
 * test/fixtures/schedulers/sge/qacct-final.yaml and the execd messages of that run):
 * - SIGUSR1 goes to the job's whole process group: a task that does not handle or ignore it
 *   dies ("User defined signal 1"). The wrapper should start tasks with USR1 ignored.
 * - once s_rt has fired, execd enforces h_rt only after the queue's `notify` time (60 s by
 *   default): a job with h_rt=4 and s_rt=2 was killed after 94 s, not 4 s.
 */

import {
  checkArraySize,
  customDirectives,
  DirectiveProblems,
  formatHms,
  quoteDirectiveValue,
  sanitizeJobName,
  withArrayIndex,
} from "../common/directives.ts";
import type { JobNameLimits, SubmitRequest } from "../types.ts";

/** Job names sge keeps whole (also the limit of ferry's run names: common/names.ts). */
export const SGE_JOB_NAME: JobNameLimits = { maxLength: 200, startWithLetter: true };

const MAIL_LETTERS = { begin: "b", end: "e", fail: "a" } as const;

/**
 * qsub reads `-o [[host]:]path` and expands `$JOB_ID`, `$TASK_ID`, `$HOME`, ... in it, so a `:`
 * or `$` of our own would be misread.
 */
function sgePath(problems: DirectiveProblems, field: string, path: string): string {
  if (/[:$]/.test(path)) {
    problems.add(
      field,
      `${JSON.stringify(path)}: SGE reads ':' as a host prefix and '$' as a variable in -o/-e paths`,
    );
  }
  return quoteDirectiveValue(problems, field, withArrayIndex(path, "$TASK_ID"));
}

export function renderSgeDirectives(req: SubmitRequest): string[] {
  const problems = new DirectiveProblems("sge");
  const r = req.resources;
  const lines: string[] = [];
  const opt = (flag: string, value?: string) =>
    lines.push(value === undefined ? `#$ ${flag}` : `#$ ${flag} ${value}`);
  const q = (field: string, value: string | number) => quoteDirectiveValue(problems, field, String(value));

  // Without -S the queue's shell runs the script, /bin/csh in a default queue.
  opt("-S", "/bin/sh");
  opt("-N", q("jobName", sanitizeJobName(r.jobName ?? req.jobName, SGE_JOB_NAME)));
  opt("-wd", q("workDir", req.workDir));
  opt("-o", sgePath(problems, "stdoutPath", req.stdoutPath));
  opt("-e", sgePath(problems, "stderrPath", req.stderrPath));

  const pe = (field: string, what: string) =>
    problems.add(
      field,
      `sge runs ${what} only through a parallel environment, whose name is site-specific: remove ${field}, or pass custom: {sge: ["-pe <your_pe> <slots>"]}`,
    );
  if (r.nodes !== undefined && r.nodes > 1) pe("nodes", "multi-node jobs");
  if (r.processes !== undefined && r.processes > 1) pe("processes", "several processes");
  if (r.processesPerNode !== undefined && r.processesPerNode > 1) pe("processesPerNode", "several processes");
  if (r.cpusPerProcess !== undefined && r.cpusPerProcess > 1) pe("cpusPerProcess", "multi-core jobs");
  if (r.gpus !== undefined && r.gpus > 0)
    problems.unsupported("gpus", "built-in GPU resource (it is a site-defined complex)", "-l gpu=1");
  if (r.qos !== undefined) problems.unsupported("qos", "qos");
  if (r.constraint !== undefined)
    problems.unsupported("constraint", "node features (they are site-defined complexes)", "-l arch=lx-amd64");
  if (r.exclusive === true)
    problems.unsupported(
      "exclusive",
      "built-in exclusive flag (the exclusive complex is site-configured)",
      "-l exclusive=true",
    );

  if (r.memoryMB !== undefined) opt("-l", `h_vmem=${r.memoryMB}M`);
  if (r.walltimeSeconds !== undefined) opt("-l", `h_rt=${formatHms(r.walltimeSeconds)}`);
  if (req.warning !== undefined) {
    const { signal, secondsBefore } = req.warning;
    if (signal !== "USR1") {
      problems.add(
        "warning.signal",
        `sge's soft runtime limit (s_rt) always sends SIGUSR1, not SIG${signal}: ask for USR1`,
      );
    }
    if (r.walltimeSeconds === undefined) {
      problems.add("warning", "sge needs a walltime to warn before it: set walltime");
    } else if (!Number.isInteger(secondsBefore) || secondsBefore < 1 || secondsBefore >= r.walltimeSeconds) {
      problems.add(
        "warning.secondsBefore",
        `must be whole seconds between 1 and the walltime (${r.walltimeSeconds}), got ${secondsBefore}`,
      );
    } else {
      opt("-l", `s_rt=${formatHms(r.walltimeSeconds - secondsBefore)}`);
    }
  }
  if (r.queue !== undefined) opt("-q", q("queue", r.queue));
  if (r.account !== undefined) opt("-A", q("account", r.account));
  if (r.reservation !== undefined) opt("-ar", q("reservation", r.reservation));
  if (r.mail !== undefined) {
    opt("-M", q("mail.user", r.mail.user));
    opt("-m", r.mail.events.map((e) => MAIL_LETTERS[e]).join(""));
  }
  checkArraySize(problems, req.arraySize, true);
  if (req.arraySize !== undefined) opt("-t", `1-${req.arraySize}`);
  lines.push(...customDirectives(problems, "#$", r.custom));
  problems.throwIfAny();
  return lines;
}
