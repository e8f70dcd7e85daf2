/**
 * For batch-worker tests: flows of tiny sh jobs that append their name to one log (an execution
 * count a test can check), and what the folder queue and the scheduler's accounting say.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pilotOfEntry, queuePaths } from "../../src/batch/layout.ts";
import type { Transport } from "../../src/transport/types.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, cond: () => Promise<boolean>, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** `n` independent jobs j0…j<n-1>; each appends its name to `log` (one short line: O_APPEND is atomic). */
export function tinyJobs(
  name: string,
  n: number,
  log: string,
  extra: (i: number) => string = () => "",
): string {
  const q = JSON.stringify(log);
  const jobs = Array.from(
    { length: n },
    (_, i) => `  - name: j${i}\n${extra(i)}    sh: 'echo j${i} >> ${q.replaceAll("'", "''")}'`,
  );
  return `name: ${name}\njobs:\n${jobs.join("\n")}\n`;
}

/** How many times each name was logged. */
export function executions(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of text.split("\n").filter(Boolean)) out.set(l, (out.get(l) ?? 0) + 1);
  return out;
}

export function localLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** The done/ (or taken/) entries of the queue, by pilot token. */
export async function entriesByPilot(
  t: Transport,
  workDir: string,
  which: "done" | "taken",
): Promise<Map<string, string[]>> {
  const q = queuePaths(workDir);
  const out = new Map<string, string[]>();
  for (const e of (await t.list(q[which])) ?? []) {
    const entry = e.name.split("@")[0];
    const token = pilotOfEntry(e.name);
    if (!entry || !token) continue;
    out.set(token, [...(out.get(token) ?? []), entry]);
  }
  return out;
}

/**
 * done/ by pilot once taken/ is empty: a pilot moves an entry to done/ just after its run.sh
 * exited, so a result may be collected a moment before its entry gets there.
 */
export async function doneWhenSettled(t: Transport, workDir: string): Promise<Map<string, string[]>> {
  await waitUntil(
    "the pilots to move their entries to done/",
    async () => ((await t.list(queuePaths(workDir).taken)) ?? []).every((e) => e.name.startsWith(".")),
    30_000,
  );
  return entriesByPilot(t, workDir, "done");
}

export function pilotTokens(workDir: string): string[] {
  try {
    return readdirSync(join(queuePaths(workDir).pilots)).sort();
  } catch {
    return [];
  }
}

/** The SLURM jobs (id, name) accounted since `since` whose working directory is under `dir`. */
export async function slurmJobsUnder(
  exec: Transport["exec"],
  dir: string,
  since: Date,
): Promise<{ id: string; name: string }[]> {
  const start = since.toISOString().slice(0, 19);
  const out = await exec({
    argv: ["sacct", "-n", "-X", "-P", "-a", "-S", start, "-o", "JobID,JobName%200,WorkDir%400"],
  });
  if (out.exitCode !== 0) throw new Error(`sacct: ${out.stderr}`);
  return out.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("|"))
    .filter((f) => (f[2] ?? "").startsWith(dir))
    .map((f) => ({ id: f[0]!, name: f[1]! }));
}
