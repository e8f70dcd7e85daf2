/**
 * Neutral resources → `#PBS` lines, in two flavours:
 * - pbspro (PBS Professional / OpenPBS): `-l select=N:ncpus=..:mpiprocs=..:ompthreads=..:ngpus=..:mem=..`
 *   chunks plus `-l place=scatter[:excl]`, arrays with `-J`;
 * - torque (TORQUE, and the slurm-wlm-torque wrappers): `-l nodes=N:ppn=..[:gpus=..]`, `-l mem`
 *   for the whole job, arrays with `-t`.
 * Neither flavour gets a start-directory directive: PBS Pro has none, and sbatch's #PBS reader
 * (behind the slurm-wlm-torque wrappers) rejects TORQUE's `-d` ("sbatch: invalid option -- 'd'",
 * recorded). Jobs start in $HOME with PBS_O_WORKDIR set to qsub's directory (submitCommand runs
 * qsub in the launch directory); the batch script changes to its launch directory itself.
 * PBS cannot signal before the walltime (it sends SIGTERM at the limit, then SIGKILL after the
 * server's kill_delay), so a walltime warning is refused: the wrapper's TERM trap is what records
 * why the job stopped. qos and generic node features do not exist in PBS and are refused too.
 */

import {
  checkArraySize,
  customDirectives,
  DirectiveProblems,
  formatHms,
  sanitizeJobName,
  withArrayIndex,
} from "../common/directives.ts";
import type { JobNameLimits, SubmitRequest } from "../types.ts";

/** Job names pbs keeps whole (also the limit of ferry's run names: common/names.ts). */
export const PBS_JOB_NAME: JobNameLimits = { maxLength: 236, startWithLetter: true };

export type PbsFlavor = "pbspro" | "torque";

const MAIL_LETTERS = { begin: "b", end: "e", fail: "a" } as const;
const PLAIN = /^[A-Za-z0-9_@%+=.,/^-]+$/;

/**
 * qsub reads `-o [host:]path`, and PBS directive words end at a blank; `:` and blanks are
 * refused rather than guessed (the slurm-wlm-torque qsub also pastes its arguments into a shell
 * line). `{index}` becomes `^array_index^` on PBS Pro; TORQUE appends `-<index>` to an array
 * element's output file by itself.
 */
export function pbsPath(problems: DirectiveProblems, field: string, path: string, flavor: PbsFlavor): string {
  let out = path;
  if (path.includes("{index}")) {
    if (flavor === "pbspro") out = withArrayIndex(path, "^array_index^");
    else
      problems.add(
        field,
        "torque appends -<index> to each array element's output file itself: remove {index}",
      );
  }
  problems.checkLine(field, out);
  if (!PLAIN.test(out)) {
    problems.add(
      field,
      `${JSON.stringify(path)}: PBS output paths cannot hold blanks, ':' or shell characters; use a plain path`,
    );
  }
  return out;
}

function plainValue(problems: DirectiveProblems, field: string, value: string): string {
  problems.checkLine(field, value);
  if (!PLAIN.test(value))
    problems.add(field, `${JSON.stringify(value)}: PBS directive values cannot hold blanks or ':'`);
  return value;
}

interface Placement {
  nodes: number | undefined;
  perNode: number | undefined;
  processes: number | undefined;
}

/** Nodes and processes per node, derived where the neutral keys imply them. */
function placement(problems: DirectiveProblems, req: SubmitRequest): Placement {
  const { processes, processesPerNode } = req.resources;
  // processes per node alone means one node of them (as sbatch reads --ntasks-per-node alone)
  const nodes =
    req.resources.nodes ?? (processes === undefined && processesPerNode !== undefined ? 1 : undefined);
  if (nodes !== undefined) {
    const perNode = processesPerNode ?? (processes !== undefined ? processes / nodes : 1);
    if (!Number.isInteger(perNode)) {
      problems.add(
        "processes",
        `${processes} processes do not divide evenly over ${nodes} nodes; PBS chunks are per node`,
      );
    }
    return { nodes, perNode, processes };
  }
  if (processes !== undefined && processesPerNode !== undefined) {
    const n = processes / processesPerNode;
    if (!Number.isInteger(n))
      problems.add("processes", `${processes} is not a multiple of processesPerNode (${processesPerNode})`);
    return { nodes: n, perNode: processesPerNode, processes };
  }
  return { nodes: undefined, perNode: processesPerNode, processes };
}

function perNodeOnly(problems: DirectiveProblems, req: SubmitRequest): void {
  const r = req.resources;
  for (const [key, present] of [
    ["memory", r.memoryMB !== undefined],
    ["gpus", (r.gpus ?? 0) > 0],
  ] as const) {
    if (present) {
      problems.add(
        key,
        `${key} is per node, but with processes and no nodes PBS places one chunk per process: give nodes (or processesPerNode)`,
      );
    }
  }
}

function resourceLines(problems: DirectiveProblems, req: SubmitRequest, flavor: PbsFlavor): string[] {
  const r = req.resources;
  const threads = r.cpusPerProcess ?? 1;
  const p = placement(problems, req);
  const lines: string[] = [];
  if (flavor === "pbspro") {
    if (p.nodes !== undefined) {
      const perNode = p.perNode ?? 1;
      lines.push(
        `-l select=${p.nodes}:ncpus=${perNode * threads}:mpiprocs=${perNode}${chunkExtras(r, threads)}`,
      );
      lines.push(`-l place=scatter${r.exclusive === true ? ":excl" : ""}`);
    } else if (p.processes !== undefined) {
      perNodeOnly(problems, req);
      lines.push(
        `-l select=${p.processes}:ncpus=${threads}:mpiprocs=1${threads > 1 ? `:ompthreads=${threads}` : ""}`,
      );
      if (r.exclusive === true) lines.push("-l place=excl");
    } else {
      if (threads > 1 || (r.gpus ?? 0) > 0 || r.memoryMB !== undefined) {
        lines.push(`-l select=1:ncpus=${threads}${chunkExtras(r, threads)}`);
      }
      if (r.exclusive === true) lines.push("-l place=excl");
    }
  } else {
    if (p.nodes !== undefined || p.processes === undefined) {
      const nodes = p.nodes ?? 1;
      const perNode = p.perNode ?? 1;
      const gpus = (r.gpus ?? 0) > 0 ? `:gpus=${r.gpus}` : "";
      if (p.nodes !== undefined || threads > 1 || gpus !== "")
        lines.push(`-l nodes=${nodes}:ppn=${perNode * threads}${gpus}`);
      // TORQUE's mem is for the whole job (pbs_resources(7)), ferry's memory is per node.
      if (r.memoryMB !== undefined) lines.push(`-l mem=${nodes * r.memoryMB}mb`);
    } else {
      perNodeOnly(problems, req);
      lines.push(`-l procs=${p.processes * threads}`);
    }
    if (r.exclusive === true) lines.push("-n");
  }
  return lines;
}

function chunkExtras(r: SubmitRequest["resources"], threads: number): string {
  return [
    threads > 1 ? `:ompthreads=${threads}` : "",
    (r.gpus ?? 0) > 0 ? `:ngpus=${r.gpus}` : "",
    r.memoryMB !== undefined ? `:mem=${r.memoryMB}mb` : "",
  ].join("");
}

export function renderPbsDirectives(req: SubmitRequest, flavor: PbsFlavor): string[] {
  const problems = new DirectiveProblems("pbs");
  const r = req.resources;
  const lines: string[] = [];
  lines.push(`-N ${sanitizeJobName(r.jobName ?? req.jobName, PBS_JOB_NAME)}`);
  lines.push(`-o ${pbsPath(problems, "stdoutPath", req.stdoutPath, flavor)}`);
  lines.push(`-e ${pbsPath(problems, "stderrPath", req.stderrPath, flavor)}`);
  lines.push(...resourceLines(problems, req, flavor));
  if (r.walltimeSeconds !== undefined) lines.push(`-l walltime=${formatHms(r.walltimeSeconds)}`);
  if (r.reservation !== undefined && flavor === "torque") {
    problems.unsupported(
      "reservation",
      "reservations in torque itself (Moab's are -l advres=...)",
      "-l advres=myres",
    );
  } else if (r.reservation !== undefined && r.queue !== undefined && r.queue !== r.reservation) {
    problems.add(
      "reservation",
      "PBS Pro runs a reservation's jobs in the reservation's own queue: give reservation or queue, not both",
    );
  }
  const queue = flavor === "pbspro" ? (r.reservation ?? r.queue) : r.queue;
  if (queue !== undefined) lines.push(`-q ${plainValue(problems, "queue", queue)}`);
  if (r.account !== undefined) lines.push(`-A ${plainValue(problems, "account", r.account)}`);
  if (r.qos !== undefined) problems.unsupported("qos", "qos");
  if (r.constraint !== undefined) {
    problems.unsupported(
      "constraint",
      "generic node features (they are site-defined host resources in a select chunk)",
      "-l select=1:ncpus=8:myfeature=True",
    );
  }
  if (r.mail !== undefined) {
    lines.push(`-M ${plainValue(problems, "mail.user", r.mail.user)}`);
    lines.push(`-m ${r.mail.events.map((e) => MAIL_LETTERS[e]).join("")}`);
  }
  checkArraySize(problems, req.arraySize, true);
  if (req.arraySize !== undefined) lines.push(`${flavor === "pbspro" ? "-J" : "-t"} 1-${req.arraySize}`);
  if (req.warning !== undefined) {
    problems.add(
      "warning",
      "pbs cannot signal before the walltime (it sends SIGTERM at the limit, then SIGKILL after kill_delay): remove warning; the wrapper's TERM trap records the stop",
    );
  }
  const directives = lines.map((l) => `#PBS ${l}`);
  directives.push(...customDirectives(problems, "#PBS", r.custom));
  problems.throwIfAny();
  return directives;
}
