/**
 * Lease owners. A process that takes runs (a launcher, `offline submit`, a runner) writes its id
 * `<host>:<pid>:<random>` on them with an expiry. Another process may take a run over once the
 * lease has expired — or at once when the owner ran on the transport's own host and its pid is
 * gone (a launcher restarting after a kill -9 must not wait out the lease of its predecessor).
 * The same goes for a pull run's wrapper, which may outlive its launcher: it is alive only if
 * its pid still runs the run's own script (PIDs wrap within minutes: a bare pid proves nothing).
 */
import { randomBytes } from "node:crypto";
import { bundlePaths } from "../../bundle/layout.ts";
import { supervisorMarker } from "../../launcher/supervisor-marker.ts";
import type { Run } from "../../model/types.ts";
import type { Transport } from "../../transport/types.ts";

export function newLeaseOwner(host: string, pid: number = process.pid): string {
  return `${host}:${pid}:${randomBytes(3).toString("hex")}`;
}

export function parseLeaseOwner(owner: string | null): { host: string; pid: number } | null {
  const m = /^(.*):(\d+):[0-9a-f]*$/.exec(owner ?? "");
  return m ? { host: m[1]!, pid: Number(m[2]) } : null;
}

/**
 * Is this owner provably gone? Only on its own host, where `transport` can look at its pid; an
 * owner elsewhere is gone when its lease expires, never sooner.
 */
export async function ownerGone(transport: Transport, owner: string | null): Promise<boolean> {
  const o = parseLeaseOwner(owner);
  if (o === null || o.host !== transport.host) return false;
  return !(await transport.processAlive(o.pid));
}

/** A lease that no longer protects its run: none, expired, or held by an owner that is gone. */
export async function leaseAbandoned(
  transport: Transport,
  run: { leaseOwner: string | null; leaseExpiresAt: number | null },
  now: number,
): Promise<boolean> {
  if (run.leaseOwner === null || run.leaseExpiresAt === null) return true;
  if (run.leaseExpiresAt < now) return true;
  return ownerGone(transport, run.leaseOwner);
}

/**
 * Is the run's own process alive on the transport's host: its wrapper (`sh <launch dir>/_ferry/
 * run.sh`), a supervised task (whose `$0` is that run.sh), or the task supervisor that started
 * it (its command line names the run's launcher), which hands the run over to run.sh when the
 * task ends after the launcher died?
 */
export async function wrapperAlive(
  transport: Transport,
  run: Run,
  started: { pid: number; supervisor?: number },
): Promise<boolean> {
  if (run.launchDir === null || run.host !== transport.host) return false;
  if (await transport.processAlive(started.pid, bundlePaths(run.launchDir).script)) return true;
  return (
    started.supervisor !== undefined &&
    run.leaseOwner !== null &&
    transport.processAlive(started.supervisor, supervisorMarker(run.leaseOwner))
  );
}
