/**
 * The folder queue of a batch worker, on the cluster's filesystem inside the worker's workDir.
 * No database and no ferry on the compute side: pilots (pilot-script.ts) claim entries by
 * rename(2), which is atomic within one filesystem — of two pilots renaming the same entry, one
 * wins and the other gets ENOENT — so no bundle is ever taken twice.
 *
 *   <workDir>/_queue/
 *     ready/<entry>                 staged bundles waiting for a pilot (written by offline submit)
 *     taken/<entry>@<pilot>.<slot>  claimed by that slot of that pilot, running (or its pilot died)
 *     done/<entry>@<pilot>.<slot>   its run.sh exited (result.json says how)
 *     cancelled/<entry>             taken out of ready/ by `ferry cancel` before any pilot had it
 *     cancel/<entry>                `ferry cancel` of a taken job: its pilot sends its run.sh TERM
 *     pilots/<pilot>/               one folder per pilot allocation:
 *       pilot.sh, pilot.out, pilot.err   its script (the batch script) and the scheduler's output
 *       pilot.json                  {schedulerId, submittedAt, worker} written once it was accepted
 *       ended                       the scheduler no longer runs it (not asked about again)
 *       claims/<n>                  claim tokens 1..maxJobs (mkdir is atomic: shared by the slots)
 *
 * An entry is named after its run (`r<run id, 12 digits>`: ready/ lists in submission order) and
 * holds two lines: the job's walltime in seconds (0: none given) and the launch directory.
 */
import { randomBytes } from "node:crypto";
import { posix } from "node:path";

export const QUEUE_DIR = "_queue";

export function queuePaths(workDir: string) {
  const root = posix.join(workDir, QUEUE_DIR);
  return {
    root,
    ready: posix.join(root, "ready"),
    taken: posix.join(root, "taken"),
    done: posix.join(root, "done"),
    cancelled: posix.join(root, "cancelled"),
    cancel: posix.join(root, "cancel"),
    pilots: posix.join(root, "pilots"),
    pilot: (token: string) => {
      const dir = posix.join(root, "pilots", token);
      return {
        dir,
        script: posix.join(dir, "pilot.sh"),
        stdout: posix.join(dir, "pilot.out"),
        stderr: posix.join(dir, "pilot.err"),
        record: posix.join(dir, "pilot.json"),
        ended: posix.join(dir, "ended"),
        claims: posix.join(dir, "claims"),
      };
    },
  };
}

export type QueuePaths = ReturnType<typeof queuePaths>;

export function entryName(runId: number): string {
  return `r${String(runId).padStart(12, "0")}`;
}

/** The run id of an entry name (`r000000000042` or `r000000000042@p…`), or null. */
export function runOfEntry(name: string): number | null {
  const m = /^r(\d{12})(?:@|$)/.exec(name);
  return m ? Number(m[1]) : null;
}

/** The pilot token of a taken/done entry name (`<entry>@<pilot>.<slot>`), or null. */
export function pilotOfEntry(name: string): string | null {
  const m = /^r\d{12}@(p[0-9a-z]+-[0-9a-f]{6})\.\d+$/.exec(name);
  return m ? m[1]! : null;
}

export function entryContent(walltimeSeconds: number, launchDir: string): string {
  return `${walltimeSeconds}\n${launchDir}\n`;
}

/** Pilot tokens are ferry's own words: safe in a file name, a job name and a shell line. */
export const PILOT_TOKEN = /^p[0-9a-z]+-[0-9a-f]{6}$/;

export function newPilotToken(now = Date.now()): string {
  return `p${now.toString(36)}-${randomBytes(3).toString("hex")}`;
}
