/**
 * Claim benchmark: K concurrent claimer processes (default 8) over N READY jobs (default 10,000),
 * each claiming until none is left, as pull launchers do. Claims of one job per transaction are
 * the baseline, measured in the same run beside batched claims; every round checks that each
 * job was claimed exactly once (by the ids the claimers got and by the runs in the database).
 *
 *   npm run bench:claims -- [--jobs 10000] [--claimers 8] [--batch 1,16,64] [--rounds 3]
 *                           [--postgres postgres://…] [--sqlite]
 *
 * PostgreSQL is the subject (FOR UPDATE SKIP LOCKED: claimers take different rows instead of
 * queueing); SQLite serialises writers on its file lock and is shown for comparison.
 * Rounds are interleaved (every batch size once per round) so that a change in the machine's
 * load falls on all of them alike; the table shows the median and the range.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { addFlow } from "../src/engine/add-flow.ts";
import { flow } from "../src/flow/builder.ts";
import type { DatabaseTarget } from "../src/model/types.ts";
import { openStore } from "../src/store/open.ts";
import { startClaimer } from "../test/helpers/claimer.ts";
import { DEFAULT_BENCH_DIR, median, printTable, throwawaySchema } from "./common.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    claimers: { type: "string", default: "8" },
    batch: { type: "string", default: "1,16,64" },
    rounds: { type: "string", default: "3" },
    postgres: { type: "string", default: process.env.FERRY_TEST_PG_URL ?? "" },
    sqlite: { type: "boolean", default: false },
    dir: { type: "string", default: join(process.cwd(), DEFAULT_BENCH_DIR) },
  },
});
const N = Number(values.jobs);
const K = Number(values.claimers);
const BATCHES = values.batch.split(",").map(Number);

/** One round: N fresh READY jobs, K claimers started together; claims/s over the whole run. */
async function round(target: DatabaseTarget, batch: number): Promise<number> {
  {
    await using store = await openStore(target, { create: true });
    const f = flow("claims");
    for (let i = 0; i < N; i++) f.job(`j${i}`, { sh: "true" });
    await addFlow(store, f.build());
  }
  const all = Array.from({ length: K }, (_, i) => startClaimer(target, batch, `bench-${i}`));
  await Promise.all(all.map((c) => c.ready));
  for (const c of all) c.go();
  const results = await Promise.all(all.map((c) => c.done));
  const ids = results.flatMap((r) => r.claims.map((c) => c.jobId));
  if (ids.length !== N || new Set(ids).size !== N)
    throw new Error(`batch ${batch}: ${ids.length} claims of ${new Set(ids).size} distinct jobs, want ${N}`);
  {
    await using store = await openStore(target);
    const runs = await store.findRuns({ includeArchived: true });
    if (runs.length !== N || new Set(runs.map((r) => r.jobId)).size !== N)
      throw new Error(`batch ${batch}: ${runs.length} runs in the database for ${N} jobs`);
  }
  const seconds = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
  return N / seconds;
}

async function measure(
  label: string,
  fresh: () => Promise<{ target: DatabaseTarget; drop(): Promise<void> }>,
) {
  const got = new Map<number, number[]>(BATCHES.map((b) => [b, []]));
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const b of r % 2 === 0 ? BATCHES : [...BATCHES].reverse()) {
      const { target, drop } = await fresh();
      try {
        got.get(b)!.push(await round(target, b));
      } finally {
        await drop();
      }
    }
  }
  const base = median(got.get(BATCHES[0]!)!);
  return BATCHES.map((b) => {
    const xs = got.get(b)!;
    return [
      label,
      String(b),
      median(xs).toFixed(0),
      `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`,
      `${(median(xs) / base).toFixed(1)}×`,
    ];
  });
}

console.log(
  `claim benchmark: ${K} claimer processes over ${N} READY jobs, ${values.rounds} interleaved rounds; ${cpus().length} cores; Node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const rows: string[][] = [];
if (values.postgres) {
  rows.push(
    ...(await measure("PostgreSQL", async () => {
      const { schema, drop } = throwawaySchema(values.postgres);
      return { target: { kind: "postgres", url: values.postgres, schema }, drop };
    })),
  );
}
if (values.sqlite || !values.postgres) {
  mkdirSync(values.dir, { recursive: true });
  rows.push(
    ...(await measure("SQLite", async () => {
      const dir = mkdtempSync(join(values.dir, "ferry-claims-"));
      return {
        target: { kind: "sqlite", path: join(dir, "ferry.db") },
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    })),
  );
}
printTable(
  ["database", "jobs per claim", "claims/s (median)", "min–max", `vs ${BATCHES[0]} per claim`],
  rows,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
