/**
 * PBS job states and exit statuses → neutral state, shared by the JSON (PBS Pro) and text
 * (`qstat -f`, TORQUE) parsers.
 *
 * job_state (PBS Professional Reference Guide, "Job States"; TORQUE qstat(1B)):
 *   Q queued, H held, W waiting for its start time, T in transit, M moved to another server → queued
 *   R running, S suspended, U suspended (workstation busy), E exiting, B array begun → running
 *   F finished (PBS Pro, with -x), X finished subjob, C completed (TORQUE) → from the exit status
 *
 * Exit_status / exit_status:
 *   0 → done; 1..255 → failed (the script's status);
 *   256+N → killed by signal N: timeout when resources_used.walltime reached the limit,
 *     cancelled for SIGTERM/SIGKILL otherwise (qdel sends SIGTERM, then SIGKILL), else failed
 *     (265 = SIGKILL after qdel: psij-python pbs_base.py; 271 = walltime on older PBS);
 *   negative → the MoM's own code, not the script's status (exitCode null):
 *     PBS Pro  -29 walltime, -28 cput → timeout; -27 mem, -26 vmem → out-of-memory
 *       (JOB_EXEC_KILL_*, CESNET metacentrum docs "Job tracking");
 *     TORQUE   -11 walltime, -12 cput → timeout; -10 memory → out-of-memory
 *       (Adaptive Computing KB "exit codes from Torque", 6.1.2);
 *     any other negative → failed ("PBS could not run the job").
 */

import { type DecodedExit, fromExitStatus, joinReasons, killedBy } from "../common/exit-status.ts";
import type { NeutralState, SchedulerJobStatus } from "../types.ts";
import type { PbsFlavor } from "./resources.ts";

export const PBS_WAITING: Readonly<Record<string, string | null>> = {
  Q: null,
  H: "held",
  W: "waiting for its start time",
  T: "in transit between servers",
  M: "moved to another server",
};
export const PBS_RUNNING: Readonly<Record<string, string | null>> = {
  R: null,
  S: "suspended",
  U: "suspended (workstation busy)",
  E: "exiting",
  B: "array running",
};
export const PBS_FINISHED = new Set(["F", "X", "C"]);

const NEGATIVE: Readonly<Record<PbsFlavor, Readonly<Record<number, [NeutralState, string]>>>> = {
  pbspro: {
    [-29]: ["timeout", "JOB_EXEC_KILL_WALLTIME: walltime exceeded"],
    [-28]: ["timeout", "JOB_EXEC_KILL_CPUT: CPU time exceeded"],
    [-27]: ["out-of-memory", "JOB_EXEC_KILL_MEM: memory limit exceeded"],
    [-26]: ["out-of-memory", "JOB_EXEC_KILL_VMEM: virtual memory limit exceeded"],
    [-25]: ["failed", "JOB_EXEC_KILL_NCPUS_SUM: used more CPUs than requested"],
    [-24]: ["failed", "JOB_EXEC_KILL_NCPUS_BURST: used more CPUs than requested"],
  },
  torque: {
    [-11]: ["timeout", "walltime limit exceeded"],
    [-12]: ["timeout", "CPU time limit exceeded"],
    [-10]: ["out-of-memory", "memory limit exceeded"],
  },
};

/** What both parsers extract from one job. */
export interface PbsRecord {
  id: string;
  jobState: string;
  exitStatus: number | undefined;
  comment: string | undefined;
  walltimeUsed: string | undefined;
  walltimeLimit: string | undefined;
  /** Job_Name, for name lookups. */
  name?: string | undefined;
}

function seconds(hms: string | undefined): number | undefined {
  const m = /^(\d+):(\d{1,2}):(\d{1,2})$/.exec(hms?.trim() ?? "");
  return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function finished(record: PbsRecord, flavor: PbsFlavor): Omit<SchedulerJobStatus, "id" | "native"> {
  const status = record.exitStatus;
  const comment = record.comment;
  if (status === undefined) {
    if (comment !== undefined && /delet/i.test(comment))
      return { state: "cancelled", exitCode: null, reason: comment };
    return {
      state: "unknown",
      exitCode: null,
      reason: joinReasons("finished, but the scheduler reports no exit status", comment),
    };
  }
  if (status < 0) {
    const [state, why] = NEGATIVE[flavor][status] ?? [
      "failed",
      `PBS could not run the job (exit status ${status})`,
    ];
    return { state, exitCode: null, reason: joinReasons(why, comment) };
  }
  if (status === 0) return { state: "done", exitCode: 0, reason: comment ?? null };
  if (status < 256) {
    const exit: DecodedExit = fromExitStatus(status);
    return { state: "failed", exitCode: exit.exitCode, reason: joinReasons(exit.signalReason, comment) };
  }
  const signal = status - 256;
  const exit = killedBy(signal);
  const used = seconds(record.walltimeUsed);
  const limit = seconds(record.walltimeLimit);
  let state: NeutralState = "failed";
  let why = exit.signalReason;
  if (used !== undefined && limit !== undefined && used >= limit) {
    state = "timeout";
    why = `${why}: walltime ${record.walltimeUsed} reached the limit ${record.walltimeLimit}`;
  } else if (signal === 9 || signal === 15) {
    state = "cancelled";
    why = `${why} (qdel sends SIGTERM, then SIGKILL)`;
  }
  return { state, exitCode: exit.exitCode, reason: joinReasons(why, comment) };
}

/** One job → neutral status; a string when its state letter is not one PBS documents. */
export function pbsStatus(record: PbsRecord, flavor: PbsFlavor): SchedulerJobStatus {
  const s = record.jobState;
  const base = { id: record.id, native: s, ...(record.name ? { name: record.name } : {}) };
  if (s in PBS_WAITING)
    return { ...base, state: "queued", exitCode: null, reason: joinReasons(PBS_WAITING[s], record.comment) };
  if (s in PBS_RUNNING)
    return { ...base, state: "running", exitCode: null, reason: joinReasons(PBS_RUNNING[s], record.comment) };
  if (PBS_FINISHED.has(s)) return { ...base, ...finished(record, flavor) };
  return { ...base, state: "unknown", exitCode: null, reason: `unknown PBS job state ${JSON.stringify(s)}` };
}
