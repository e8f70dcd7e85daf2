/**
 * reconcile: what became of runs whose submission outcome is unknown — the submit command timed
 * out or failed in a way that may still have queued the job, or the submitter died between the
 * submission and its record (adopt.ts). Nothing is submitted again before this answers:
 *
 *  1. the launch directory first (through the driver's transport): result.json → the result is
 *     collected; started.json → the run is RUNNING (it was submitted, and started). A scheduler
 *     forgets finished jobs (SGE at once, SLURM after MinJobAge), the launch directory does not;
 *  2. then the scheduler, by the run's job name (one lookup for all runs): found → SUBMITTED with
 *     that id (a second copy, if the name was submitted twice, is cancelled);
 *  3. in neither (the launch directory read once more after the lookup: a job may start and end
 *     between the two looks) → it never reached the scheduler: released back to READY (release.ts), or left
 *     for a later look when the caller asks. A failed lookup or an unreadable file decides nothing.
 */
import { BundleProblem, collectOutcome, readRunFiles } from "../../bundle/collect.ts";
import { runScope } from "../../bundle/protocol-files.ts";
import { errorMessage } from "../../model/errors.ts";
import type { Job, Run } from "../../model/types.ts";
import { jobsNamed } from "../../schedulers/common/names.ts";
import type { Scheduler, SchedulerJobStatus } from "../../schedulers/types.ts";
import type { Store } from "../../store/store.ts";
import type { CommandOutput, CommandSpec, Transport } from "../../transport/types.ts";
import { applyOutcome, outcomeFromBundle } from "../outcome.ts";
import { releaseRun } from "./release.ts";
import { recordStart } from "./start.ts";
import { recordSubmission } from "./submit.ts";

/** A worker's scheduler and how its commands run (locally, or over the runner's SSH). */
export interface SchedulerAccess {
  scheduler: Scheduler;
  exec(spec: CommandSpec): Promise<CommandOutput>;
  user?: string;
}

export interface ReconcileOptions {
  /** Reads the runs' launch directories. */
  transport: Transport;
  access: SchedulerAccess;
  /** The job name the run was (or would have been) submitted under. */
  nameOf(run: Run, job: Job): string;
  /** The lease these runs are held by (the caller took them over, or submitted them itself). */
  owner: string;
  /** In no queue and no file: release the run to READY, or leave it for a later look. */
  absent: "release" | "leave";
  now?: () => number;
}

export interface Reconciled {
  collected: number[];
  started: number[];
  /** Found in the scheduler's queue by name: SUBMITTED with the id found. */
  found: { runId: number; schedulerId: string }[];
  released: number[];
  /** Nothing decided (failed lookup, unreadable file, or absent with absent: "leave"). */
  left: number[];
  problems: { jobId: number; runId: number; problem: string }[];
}

const RANK: Record<string, number> = { running: 0, queued: 1 };

/** Of several jobs under one name, the one to keep: running, else queued, else the oldest. */
function keeper(jobs: readonly SchedulerJobStatus[]): SchedulerJobStatus {
  return [...jobs].sort(
    (a, b) =>
      (RANK[a.state] ?? 2) - (RANK[b.state] ?? 2) || Number.parseInt(a.id, 10) - Number.parseInt(b.id, 10),
  )[0]!;
}

/**
 * Reconcile these runs (the caller holds their leases). Runs left undecided are let go — their
 * lease expires now, with the reason on the run — so the next submit or detect-lost looks again.
 */
export async function reconcileSubmissions(
  store: Store,
  runs: readonly Run[],
  o: ReconcileOptions,
): Promise<Reconciled> {
  const out = await decide(store, runs, o);
  const now = (o.now ?? Date.now)();
  for (const id of out.left) {
    const problem = out.problems.find((p) => p.runId === id)?.problem ?? "its submission is not known yet";
    await store.updateRuns([id], { leaseExpiresAt: now, problem }, now, {
      states: ["RESERVED", "STAGED"],
      archived: false,
      leaseOwner: o.owner,
    });
  }
  return out;
}

/** What the launch directory says: collected its result, recorded its start, a problem, or nothing. */
async function fromFiles(
  store: Store,
  run: Run,
  job: Job,
  o: ReconcileOptions,
): Promise<"collected" | "started" | { problem: string } | "nothing"> {
  if (run.launchDir === null) return "nothing";
  const now = o.now ?? Date.now;
  const files = await readRunFiles(o.transport, run.launchDir, run.id, runScope(job, job.recovery, now()));
  if (files.result) {
    let outcome: ReturnType<typeof outcomeFromBundle>;
    try {
      outcome = outcomeFromBundle(
        files,
        await collectOutcome(o.transport, run.launchDir, files.result, job.tasks, job.recovery),
      );
    } catch (e) {
      if (e instanceof BundleProblem) return { problem: e.message }; // unreadable now: retried
      throw e;
    }
    await store.transaction((tx) => applyOutcome(tx, run.id, outcome, now()));
    return "collected";
  }
  if (files.started) {
    const id = files.started.schedulerJobId;
    const started = files.started;
    await store.transaction((tx) =>
      recordStart(tx, {
        runId: run.id,
        startedAt: started.at * 1000,
        host: started.host,
        heartbeatAt: (files.heartbeat ?? started.at) * 1000,
        schedulerId: id && id !== "unknown" ? id : null,
        now: now(),
      }),
    );
    return "started";
  }
  if (files.problems.length > 0)
    return { problem: `cannot tell whether it was submitted: ${files.problems.join("; ")}` };
  return "nothing";
}

/** Of these launch directories, those a live process names in its command line (or why not known). */
async function inFlight(
  access: SchedulerAccess,
  dirs: readonly (string | null)[],
): Promise<Set<string> | Error> {
  const wanted = dirs.filter((d): d is string => d !== null);
  if (wanted.length === 0) return new Set();
  let out: CommandOutput;
  try {
    out = await access.exec({ argv: ["ps", "-A", "-ww", "-o", "args="] });
  } catch (e) {
    return new Error(errorMessage(e));
  }
  if (out.exitCode !== 0) return new Error(`ps: ${out.stderr.trim() || `exit ${out.exitCode}`}`);
  const busy = new Set<string>();
  // the directory itself or a path below it (flow-1/j5-8 must not match flow-1/j5-83); paths may
  // hold spaces, so look for the text rather than split the line into words
  const named = (line: string, d: string) => {
    for (let i = line.indexOf(d); i !== -1; i = line.indexOf(d, i + 1)) {
      const next = line[i + d.length];
      if (next === undefined || next === "/" || next === " ") return true;
    }
    return false;
  };
  for (const line of out.stdout.split("\n")) for (const d of wanted) if (named(line, d)) busy.add(d);
  return busy;
}

async function decide(store: Store, runs: readonly Run[], o: ReconcileOptions): Promise<Reconciled> {
  const now = o.now ?? Date.now;
  const out: Reconciled = { collected: [], started: [], found: [], released: [], left: [], problems: [] };
  const jobs = new Map((await store.getJobs(runs.map((r) => r.jobId))).map((j) => [j.id, j]));
  let ask: { run: Run; job: Job; name: string }[] = [];
  /** Files decided it (true), or it is still open (false). */
  const settle = async (run: Run, job: Job): Promise<boolean> => {
    const seen = await fromFiles(store, run, job, o);
    if (seen === "nothing") return false;
    if (seen === "collected") out.collected.push(run.id);
    else if (seen === "started") out.started.push(run.id);
    else {
      out.problems.push({ jobId: run.jobId, runId: run.id, problem: seen.problem });
      out.left.push(run.id);
    }
    return true;
  };
  for (const run of runs) {
    const job = jobs.get(run.jobId);
    if (!job) continue;
    if (!(await settle(run, job))) ask.push({ run, job, name: o.nameOf(run, job) });
  }
  if (ask.length === 0) return out;
  // A dead submitter's submit command may still be running (sbatch outlives a kill -9 of its
  // parent) and queue the job after the lookup below. So first: is any process on the
  // scheduler's side still working on this run (its launch directory in the command line)? Once
  // none is, nothing can submit the run any more, and the lookup that follows is conclusive.
  const busy = await inFlight(
    o.access,
    ask.map((a) => a.run.launchDir),
  );
  if (busy instanceof Error) {
    for (const a of ask) {
      out.problems.push({
        jobId: a.run.jobId,
        runId: a.run.id,
        problem: `its submission is unknown and the processes could not be listed (${busy.message}); asked again next time`,
      });
      out.left.push(a.run.id);
    }
    return out;
  }
  for (const a of ask.filter((x) => x.run.launchDir !== null && busy.has(x.run.launchDir))) {
    out.problems.push({
      jobId: a.run.jobId,
      runId: a.run.id,
      problem: "its submit command is still running; asked again next time",
    });
    out.left.push(a.run.id);
  }
  ask = ask.filter((x) => x.run.launchDir === null || !busy.has(x.run.launchDir));
  if (ask.length === 0) return out;
  const { scheduler } = o.access;
  let named: Map<string, SchedulerJobStatus[]>;
  try {
    const listing = scheduler.parseNameLookup(
      await o.access.exec(
        scheduler.nameLookupCommand(
          ask.map((a) => a.name),
          o.access.user !== undefined ? { user: o.access.user } : {},
        ),
      ),
    );
    if (listing.failure !== null) throw new Error(listing.failure);
    named = jobsNamed(
      listing,
      ask.map((a) => a.name),
    );
  } catch (e) {
    for (const a of ask) {
      out.problems.push({
        jobId: a.run.jobId,
        runId: a.run.id,
        problem: `its submission is unknown and the ${scheduler.name} queue could not be asked (${errorMessage(e)}); asked again next time`,
      });
      out.left.push(a.run.id);
    }
    return out;
  }
  for (const { run, job, name } of ask) {
    const copies = named.get(name) ?? [];
    if (copies.length > 0) {
      const keep = keeper(copies);
      const extra = copies.filter((c) => c !== keep && (c.state === "queued" || c.state === "running"));
      await store.transaction((tx) =>
        recordSubmission(tx, {
          runId: run.id,
          schedulerId: keep.id,
          problem: null,
          reason: `found in the ${scheduler.name} queue as ${keep.id} by its name ${name} (its submission was not recorded)`,
          now: now(),
        }),
      );
      out.found.push({ runId: run.id, schedulerId: keep.id });
      if (extra.length > 0) {
        const ids = extra.map((x) => x.id);
        try {
          scheduler.parseCancel(await o.access.exec(scheduler.cancelCommand(ids)), ids);
          out.problems.push({
            jobId: run.jobId,
            runId: run.id,
            problem: `was in the queue ${copies.length} times as ${name}: cancelled ${ids.join(", ")}, kept ${keep.id}`,
          });
        } catch (e) {
          out.problems.push({
            jobId: run.jobId,
            runId: run.id,
            problem: `is in the queue ${copies.length} times as ${name} (${copies.map((c) => c.id).join(", ")}) and cancelling the extra ones failed: ${errorMessage(e)}`,
          });
        }
      }
      continue;
    }
    // Not in the queue: but a job may have started and ended between the first look at its
    // files and the lookup (a short job on an idle node takes milliseconds). It wrote started.json
    // before it left the queue, so a second look now, after the lookup, cannot miss it.
    if (await settle(run, job)) continue;
    if (o.absent === "leave") {
      out.left.push(run.id);
      continue;
    }
    const released = await store.transaction((tx) =>
      releaseRun(tx, {
        runId: run.id,
        reason: `its submitter stopped before the ${scheduler.name} queue had it (no job named ${name}); released to be submitted again`,
        from: ["RESERVED", "STAGED"],
        leaseOwner: o.owner,
        now: now(),
      }),
    );
    if (released) out.released.push(run.id);
    else out.left.push(run.id);
  }
  return out;
}
