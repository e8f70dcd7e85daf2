/**
 * What a detached local process can honour. The shell scheduler has no directives; it accepts a
 * walltime (enforced by the supervisor in commands.ts: SIGTERM to the job's process group at the
 * limit, SIGKILL 10 s later), the walltime warning (the chosen signal to the script N seconds
 * before), and trivial requests (one node, one process, one CPU, no GPU). Everything else —
 * memory, queues, accounts, arrays, raw options — has nothing to act on, so it is refused
 * rather than silently ignored.
 */

import { checkArraySize, DirectiveProblems } from "../common/directives.ts";
import type { SubmitRequest } from "../types.ts";

export function checkShellRequest(req: SubmitRequest): string[] {
  const problems = new DirectiveProblems("shell");
  const r = req.resources;
  const notHere = (field: string, what: string) =>
    problems.add(
      field,
      `the shell scheduler runs one local process and cannot ${what}: remove ${field}, or use a batch scheduler`,
    );
  if (r.nodes !== undefined && r.nodes > 1) notHere("nodes", "span several nodes");
  if (r.processes !== undefined && r.processes > 1) notHere("processes", "reserve several processes");
  if (r.processesPerNode !== undefined && r.processesPerNode > 1)
    notHere("processesPerNode", "reserve several processes");
  if (r.cpusPerProcess !== undefined && r.cpusPerProcess > 1) notHere("cpusPerProcess", "reserve CPU cores");
  if (r.gpus !== undefined && r.gpus > 0) notHere("gpus", "reserve GPUs");
  if (r.memoryMB !== undefined)
    notHere("memory", "reserve or reliably limit memory (ulimit -v caps virtual memory, not what you asked)");
  for (const key of ["queue", "account", "qos", "reservation", "constraint", "mail"] as const) {
    if (r[key] !== undefined) notHere(key, `use a ${key}`);
  }
  if (r.exclusive === true) notHere("exclusive", "give a job a node to itself");
  if (r.custom.length > 0) notHere("custom", "pass raw scheduler options (there is no scheduler)");
  checkArraySize(problems, req.arraySize, false);
  if (req.warning !== undefined) {
    const { secondsBefore } = req.warning;
    if (r.walltimeSeconds === undefined)
      problems.add("warning", "a warning needs a walltime to come before: set walltime");
    else if (!Number.isInteger(secondsBefore) || secondsBefore < 1 || secondsBefore >= r.walltimeSeconds) {
      problems.add(
        "warning.secondsBefore",
        `must be whole seconds between 1 and the walltime (${r.walltimeSeconds}), got ${secondsBefore}`,
      );
    }
  }
  problems.throwIfAny();
  return [];
}
