/**
 * One claimer process, as a pull launcher's claim loop is (engine `claimRuns`: claim, launch
 * directory, resolved inputs, in one transaction): opens its own store, prints "ready", waits
 * for a line on stdin, then claims batches until none is left and prints what it got — the
 * claimed job and run ids and when it started and stopped (ms on the shared wall clock).
 * Used by test/scale-claims.test.ts and bench/claims.ts.
 *
 * With `hold`, a claimer stops after its first batch, prints "first" and waits for a second
 * line: a test can make sure every claimer holds claims before the free-for-all. (Without it,
 * SQLite lets a claimer that just committed take the lock again before the others' busy retries
 * wake up, and one claimer can take all 10,000 jobs.)
 *
 *   node test/helpers/claimer.ts '<database target JSON>' <batch> <lease owner> [hold]
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { claimRuns } from "../../src/engine/claim.ts";
import type { DatabaseTarget } from "../../src/model/types.ts";
import { openStore } from "../../src/store/open.ts";

export interface ClaimerResult {
  claims: { jobId: number; runId: number; launchDir: string }[];
  start: number;
  end: number;
}

export interface Claimer {
  ready: Promise<void>;
  /** With `hold`: resolves once the first batch is claimed; `go()` again lets it go on. */
  first: Promise<void>;
  done: Promise<ClaimerResult>;
  go(): void;
}

const SELF = fileURLToPath(import.meta.url);

/** Start a claimer process; `go()` once every claimer is `ready`, so that they start together. */
export function startClaimer(
  target: DatabaseTarget,
  batch: number,
  owner: string,
  opts: { hold?: boolean } = {},
): Claimer {
  const args = [SELF, JSON.stringify(target), String(batch), owner, ...(opts.hold ? ["hold"] : [])];
  const c = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: c.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`claimer ${owner} ended early`);
    return value as string;
  };
  const ready = next().then((l) => {
    if (l !== "ready") throw new Error(`claimer ${owner}: ${l}`);
  });
  const first = opts.hold
    ? ready.then(async () => {
        const l = await next();
        if (l !== "first") throw new Error(`claimer ${owner}: ${l}`);
      })
    : ready;
  const done = first.then(async () => JSON.parse(await next()) as ClaimerResult);
  return { ready, first, done, go: () => c.stdin.write("go\n") };
}

async function claimerMain(): Promise<void> {
  const [targetJson, batch, owner, hold] = process.argv.slice(2);
  const store = await openStore(JSON.parse(targetJson!) as DatabaseTarget, { migrate: false });
  await store.countClaimable("local", []); // connect before the start line
  const input = createInterface({ input: process.stdin });
  const line = () => new Promise<void>((resolve) => input.once("line", () => resolve()));
  process.stdout.write("ready\n");
  await line();
  const claims: ClaimerResult["claims"] = [];
  const start = performance.timeOrigin + performance.now();
  for (let round = 0; ; round++) {
    if (round === 1 && hold === "hold") {
      process.stdout.write("first\n");
      await line();
    }
    const { claimed, failed } = await claimRuns(store, {
      worker: { name: "local", workDir: "/scratch/runs", categories: [] },
      limit: Number(batch),
      to: "RUNNING",
      mode: "pull",
      leaseOwner: owner!,
      leaseMs: 60_000,
      host: "claimer",
    });
    if (failed.length > 0) throw new Error(`${failed.length} claims failed: ${failed[0]!.message}`);
    if (claimed.length === 0) break;
    for (const c of claimed) claims.push({ jobId: c.job.id, runId: c.runId, launchDir: c.launchDir });
  }
  const end = performance.timeOrigin + performance.now();
  input.close();
  await store.close();
  process.stdout.write(`${JSON.stringify({ claims, start, end } satisfies ClaimerResult)}\n`);
}

if (process.argv[1] === SELF) await claimerMain();
