/**
 * The pilot: a POSIX sh batch script that runs staged bundles from the worker's folder queue
 * (layout.ts) inside one allocation. No database and no ferry on the compute side — each bundle
 * runs through its own run.sh, unchanged, exactly as if the scheduler had started it, so its
 * files (started.json, heartbeat, result.json) and their collection are those of a single job.
 *
 * Each of `parallel` slots loops: list ready/, read the first entry's walltime, and
 *  - stop when the pilot's remaining walltime is shorter than that job's walltime (the entry is
 *    left in ready/ for another pilot; a pilot that has taken nothing yet takes any job that fits
 *    its whole walltime), or when maxJobs claim tokens are gone (mkdir of
 *    claims/<n> is atomic, so slots of one pilot share the count without a lock);
 *  - claim it by renaming ready/<entry> to taken/<entry>@<pilot>.<slot>: of two slots (of one
 *    pilot or two) renaming the same entry one wins, the other gets ENOENT and lists again;
 *  - run it (a watcher sends its run.sh TERM when `ferry cancel` wrote cancel/<entry>), then
 *    move the entry to done/;
 *  - after lingerSeconds of an empty queue, stop.
 * A taken entry is never put back: a pilot killed while running a bundle (walltime, scancel)
 * leaves it in taken/, and `ferry offline recover` finds the run through its pilot's scheduler
 * id (recover.ts) — FAILED with the scheduler's reason once the pilot left the queue, never run
 * again by itself. A TERM for the pilot (walltime, scancel) is passed on to the slots and from
 * them to the running jobs' run.sh, which record it in result.json; the slots take nothing more
 * and wait for their job, so the result is written before the batch script ends.
 *
 * Everything that varies is a number checked here or a word quoted with shQuote.
 */
import { PROTOCOL_DIR } from "../bundle/layout.ts";
import { ValidationError } from "../model/errors.ts";
import { shQuote } from "../transport/quote.ts";
import { PILOT_TOKEN, type QueuePaths } from "./layout.ts";

export interface PilotScriptOptions {
  queue: QueuePaths;
  token: string;
  worker: string;
  directives: readonly string[];
  maxJobs: number;
  wallSeconds: number;
  parallel: number;
  lingerSeconds: number;
  /** How often a running job's cancel request is looked for (default 2 s). */
  cancelCheckSeconds?: number;
  /** Shell lines the pilot runs once before taking jobs (trusted: from the project file). */
  preRun?: string;
}

function whole(v: number, field: string, min: number): number {
  if (!Number.isSafeInteger(v) || v < min)
    throw new ValidationError("cannot write the pilot script", [
      { field, message: `must be a whole number of at least ${min}, not ${JSON.stringify(v)}` },
    ]);
  return v;
}

function word(v: string, field: string): string {
  if (v.includes("\u0000") || v.includes("\n"))
    throw new ValidationError("cannot write the pilot script", [
      { field, message: "contains a NUL or newline character" },
    ]);
  return shQuote(v);
}

export function renderPilotScript(o: PilotScriptOptions): string {
  if (!PILOT_TOKEN.test(o.token)) throw new Error(`not a pilot token: ${o.token}`);
  const pilot = o.queue.pilot(o.token);
  const vars = [
    `FERRY_Q_READY=${word(o.queue.ready, "workDir")}`,
    `FERRY_Q_TAKEN=${word(o.queue.taken, "workDir")}`,
    `FERRY_Q_DONE=${word(o.queue.done, "workDir")}`,
    `FERRY_Q_CANCEL=${word(o.queue.cancel, "workDir")}`,
    `FERRY_Q_CLAIMS=${word(pilot.claims, "workDir")}`,
    `FERRY_CANCEL_CHECK=${whole(o.cancelCheckSeconds ?? 2, "cancelCheckSeconds", 1)}`,
    `FERRY_PILOT=${o.token}`,
    `FERRY_PILOT_ENDED=${word(pilot.ended, "workDir")}`,
    `FERRY_MAX_JOBS=${whole(o.maxJobs, "batch.maxJobs", 1)}`,
    `FERRY_WALL=${whole(o.wallSeconds, "batch.maxWallTime", 1)}`,
    `FERRY_PARALLEL=${whole(o.parallel, "batch.parallel", 1)}`,
    `FERRY_LINGER=${whole(o.lingerSeconds, "batch.lingerSeconds", 0)}`,
  ];
  return `#!/bin/sh
${o.directives.join("\n")}
# ferry batch pilot ${o.token} of worker ${word(o.worker, "worker")}: runs staged jobs from the folder queue.
# Written by ferry offline submit; needs nothing but sh on the compute node.
${vars.join("\n")}
FERRY_PILOT_START=$(date +%s)
FERRY_PILOT_END=$((FERRY_PILOT_START + FERRY_WALL))
FERRY_PILOT_STOP=
trap '' USR1 USR2
mkdir -p "$FERRY_Q_TAKEN" "$FERRY_Q_DONE" "$FERRY_Q_CLAIMS" || exit 97
${o.preRun ? `\n# pilot preRun\n${o.preRun}\n` : ""}
ferry_log() { printf '%s slot %s: %s\\n' "$(date +%s)" "$FERRY_SLOT" "$*"; }

# one claim token of maxJobs, shared by the slots: mkdir either creates claims/<n> or fails
ferry_token() {
  while [ "$ferry_n" -le "$FERRY_MAX_JOBS" ]; do
    if mkdir "$FERRY_Q_CLAIMS/$ferry_n" 2>/dev/null; then return 0; fi
    ferry_n=$((ferry_n + 1))
  done
  return 1
}

ferry_slot() {
  FERRY_SLOT=$1
  ferry_pid=
  # the pilot's end (walltime, scancel) is its running job's end: pass the signal on, so that the
  # wrapper records it in result.json before the scheduler's SIGKILL
  trap 'FERRY_PILOT_STOP=1; if [ -n "$ferry_pid" ]; then kill -TERM "$ferry_pid" 2>/dev/null; fi' TERM INT HUP
  ferry_n=1
  ferry_have=
  ferry_idle=0
  ferry_ran=0
  while [ -z "$FERRY_PILOT_STOP" ]; do
    ferry_next=
    for ferry_f in "$FERRY_Q_READY"/r*; do
      if [ -f "$ferry_f" ]; then ferry_next=$ferry_f; break; fi
    done
    if [ -z "$ferry_next" ]; then
      if [ "$ferry_idle" -ge "$FERRY_LINGER" ]; then ferry_log "queue empty, $ferry_ran run"; return 0; fi
      sleep 1
      ferry_idle=$((ferry_idle + 1))
      continue
    fi
    ferry_wall=
    ferry_dir=
    { read -r ferry_wall; read -r ferry_dir; } 2>/dev/null <"$ferry_next" || continue
    case $ferry_wall in '' | *[!0-9]*) ferry_wall=0 ;; esac
    ferry_left=$((FERRY_PILOT_END - $(date +%s)))
    # a fresh pilot (no claim yet) takes a job that needs its whole walltime: the seconds it
    # took to start must not leave such a job to wait for ever
    if [ "$ferry_left" -le 0 ] || [ "$ferry_left" -lt "$ferry_wall" ]; then
      if [ -d "$FERRY_Q_CLAIMS/1" ] || [ "$ferry_wall" -gt "$FERRY_WALL" ]; then
        ferry_log "stop: \${ferry_left}s left, \${ferry_next##*/} needs \${ferry_wall}s; left for another pilot"
        return 0
      fi
    fi
    if [ -z "$ferry_have" ]; then
      if ferry_token; then ferry_have=1; else ferry_log "stop: maxJobs ($FERRY_MAX_JOBS) reached"; return 0; fi
    fi
    ferry_e=\${ferry_next##*/}
    ferry_t="$FERRY_Q_TAKEN/$ferry_e@$FERRY_PILOT.$FERRY_SLOT"
    # a rename that failed on the wire (NFS retransmission) may still have happened: look (the
    # name is this slot's own, so another slot's claim of the same entry cannot pass for ours)
    if mv "$ferry_next" "$ferry_t" 2>/dev/null || [ -f "$ferry_t" ]; then
      ferry_have=
      ferry_idle=0
      ferry_ran=$((ferry_ran + 1))
      ferry_log "run $ferry_e: $ferry_dir"
      if [ -e "$FERRY_Q_CANCEL/$ferry_e" ]; then
        ferry_log "skip $ferry_e: cancelled"
      else
        ( cd "$ferry_dir" && exec sh "$ferry_dir/${PROTOCOL_DIR}/run.sh" ) >"$ferry_dir/${PROTOCOL_DIR}/scheduler.out" 2>"$ferry_dir/${PROTOCOL_DIR}/scheduler.err" &
        ferry_pid=$!
        # ferry cancel of a taken job asks for its stop with cancel/<entry>: TERM to its run.sh
        # only (the wrapper records the signal), never to the allocation and its other jobs
        # only while its entry is still taken: the watcher ends by itself once the job is done,
        # even if the kill below lands before it reset the slot's inherited TERM trap
        ( while sleep "$FERRY_CANCEL_CHECK" && [ -f "$ferry_t" ]; do
            if [ -e "$FERRY_Q_CANCEL/$ferry_e" ]; then kill -TERM "$ferry_pid" 2>/dev/null; exit 0; fi
          done ) >/dev/null 2>&1 &
        ferry_watch=$!
        wait "$ferry_pid"; ferry_rc=$?
        # a trapped signal interrupts wait while run.sh still runs
        while kill -0 "$ferry_pid" 2>/dev/null; do wait "$ferry_pid"; ferry_rc=$?; done
        kill "$ferry_watch" 2>/dev/null
        ferry_pid=
        ferry_log "done $ferry_e: exit $ferry_rc"
      fi
      mv "$ferry_t" "$FERRY_Q_DONE/$ferry_e@$FERRY_PILOT.$FERRY_SLOT" 2>/dev/null
    fi
  done
  ferry_log "stop: signalled, $ferry_ran run"
}

FERRY_SLOT=0
ferry_log "pilot $FERRY_PILOT up: \${FERRY_WALL}s, at most $FERRY_MAX_JOBS jobs, $FERRY_PARALLEL at once"
# SLURM's scancel signals the batch shell only (measured on SLURM 22.05, proctrack/cgroup: a
# background child of the batch script got no TERM before the SIGKILL KillWait later), so the
# pilot passes a signal on to its slots: they stop claiming and pass it to their running job
FERRY_SLOTS=
trap 'FERRY_PILOT_STOP=1; kill -TERM $FERRY_SLOTS 2>/dev/null' TERM INT HUP
ferry_i=1
while [ "$ferry_i" -le "$FERRY_PARALLEL" ]; do
  ferry_slot "$ferry_i" &
  FERRY_SLOTS="$FERRY_SLOTS $!"
  ferry_i=$((ferry_i + 1))
done
# a trapped signal interrupts wait; the slots finish their running job first
until wait; do :; done
FERRY_SLOT=0
ferry_log "pilot $FERRY_PILOT ends"
# submit counts live pilots: one that says it ended is not asked about (a killed one is)
echo exited >"$FERRY_PILOT_ENDED"
exit 0
`;
}
