/** What the benchmarks share: a throwaway PostgreSQL schema, their folder, and the table they print. */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** Where throwaway projects live: like a real project, in the working folder. */
export const DEFAULT_BENCH_DIR = ".bench";

import { ferryCommand } from "../test/helpers/built.ts";

export { ferryCommand };

/**
 * The `ferry` a benchmark runs: built as installed in a throwaway folder under `benchDir`
 * (removed with the projects, removeKept), or with `sources` this checkout's own.
 */
export function benchFerry(benchDir: string, sources: boolean): string {
  if (sources) return ferryCommand("", true);
  mkdirSync(benchDir, { recursive: true });
  const built = mkdtempSync(join(benchDir, "ferry-built-"));
  removeAtEnd(built);
  return ferryCommand(built);
}

const doomed: string[] = [];

/**
 * Remove a throwaway folder when the benchmark ends, not now. Why: this VM's ext4 has no
 * journal, and without one ext4 will not reuse an inode deleted within the last minute or so
 * (fs/ext4/ialloc.c, recently_deleted()): right after thousands of files are deleted, every new
 * file or folder costs 10–40× more (measured: 2 mkdir + 5 file writes with renames, 0.18 ms
 * on a quiet disk, 1.6–9 ms after a few deletions of 7,000 entries) — a benchmark that deletes
 * each round's project before the next would measure mostly that.
 */
export function removeAtEnd(dir: string): void {
  doomed.push(dir);
}

/** Remove what removeAtEnd() kept; call after the figures are printed. */
export function removeKept(): void {
  for (const d of doomed.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A fresh schema name in the database at `url`, and a way to drop it afterwards. */
export function throwawaySchema(url: string): { schema: string; drop: () => Promise<void> } {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Run a command to its end, output discarded; resolves its exit code. */
export function spawnOnce(argv: readonly string[], cwd?: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: "ignore", cwd });
    c.on("error", reject);
    c.on("exit", resolve);
  });
}

export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join("  ");
  console.log(line(headers));
  for (const r of rows) console.log(line(r));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** n × `sh -c true`, `concurrency` at a time, spawned from Node: the floor any launcher pays. Returns ms. */
export async function bareSpawn(n: number, concurrency: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await spawnOnce(["sh", "-c", "true"]);
      }
    }),
  );
  return performance.now() - t0;
}

/** The machine's load as `uptime` prints it, for the conditions line of a table. */
export function machineLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
}

/** `12.3 (11.9–13.0)`: median and range of a few measurements. */
export function spread(xs: readonly number[], digits = 1): string {
  if (xs.length === 0) return "—";
  const f = (x: number) => x.toFixed(digits);
  return xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}
