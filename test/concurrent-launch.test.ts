/**
 * Two `ferry launch --concurrency 2` processes against one project: every one of 500 no-op jobs
 * runs exactly once, on SQLite and on PostgreSQL. Each job appends its id to a ledger file
 * (O_APPEND writes of one short line are atomic), so a job run twice would show up twice.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openStore } from "../src/store/open.ts";
import { ferry } from "./helpers/cli.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const JOBS = 500;

for (const d of dialects()) {
  describe(`two launchers on ${d.name}`, { skip: d.skip }, () => {
    test(`${JOBS} no-op jobs, each run exactly once`, async () => {
      const dir = tempDir("ferry-2launch-");
      const ledger = join(dir, "ledger");
      writeFileSync(ledger, "");
      const { target, dispose } = await d.newTarget();
      try {
        const db =
          target.kind === "sqlite"
            ? `database:\n  sqlite: ${target.path}\n`
            : `database:\n  postgres: ${target.url}\n  schema: ${target.schema}\n`;
        writeFileSync(
          join(dir, "ferry.yaml"),
          `${db}workers:\n  local:\n    mode: pull\n    workDir: runs\n    env: {LEDGER: "${ledger}"}\n`,
        );
        const jobs = Array.from(
          { length: JOBS },
          (_, i) => `  - {name: j${i}, sh: 'echo "$FERRY_JOB_ID" >> "$LEDGER"'}`,
        );
        writeFileSync(join(dir, "many.yaml"), `name: many\njobs:\n${jobs.join("\n")}\n`);
        assert.equal((await ferry(["add", "many.yaml"], { cwd: dir })).code, 0);

        const started = Date.now();
        const [one, two] = await Promise.all([
          ferry(["launch", "--concurrency", "2", "--json", "--quiet"], { cwd: dir, timeoutMs: 300_000 }),
          ferry(["launch", "--concurrency", "2", "--json", "--quiet"], { cwd: dir, timeoutMs: 300_000 }),
        ]);
        const seconds = (Date.now() - started) / 1000;
        assert.equal(one.code, 0, one.stderr);
        assert.equal(two.code, 0, two.stderr);
        const a = JSON.parse(one.stdout);
        const b = JSON.parse(two.stdout);
        assert.equal(a.completed + b.completed, JOBS);
        assert.ok(
          a.completed > 0 && b.completed > 0,
          `both launchers worked (${a.completed} + ${b.completed})`,
        );

        const lines = readFileSync(ledger, "utf8").trim().split("\n");
        assert.equal(lines.length, JOBS, "one ledger line per job");
        assert.equal(new Set(lines).size, JOBS, "no job ran twice");

        await using store = await openStore(target);
        const runs = await store.findRuns({ includeArchived: true });
        assert.equal(runs.length, JOBS, "one run per job");
        assert.equal(await store.countJobs({ states: ["COMPLETED"] }), JOBS);
        process.stderr.write(
          `  ${d.name}: ${JOBS} jobs by 2 launchers × 2 in ${seconds.toFixed(1)} s (${(JOBS / seconds).toFixed(0)} jobs/s)\n`,
        );
      } finally {
        await dispose();
      }
    });
  });
}
