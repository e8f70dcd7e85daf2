/** Commands that change jobs, as a user types them: selectors, safety rules, exit codes. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ferry } from "./helpers/cli.ts";
import { dialects, tempDir } from "./helpers/stores.ts";

const FLOW = `name: mix
jobs:
  - {name: ok-1, sh: "true"}
  - {name: ok-2, sh: "true", inputs: {temperature: 300}}
  - {name: segv-1, sh: "echo 'Segmentation fault (core dumped)' >&2; exit 139"}
  - {name: segv-2, sh: "echo 'Segmentation fault' >&2; exit 139", inputs: {temperature: 400}}
  - {name: oom, sh: "echo 'MemoryError: cannot allocate' >&2; exit 1"}
  - {name: after-oom, parents: [oom], sh: "true"}
`;

for (const d of dialects()) {
  describe(`job control from the CLI on ${d.name}`, { skip: d.skip }, () => {
    async function project() {
      const dir = tempDir("ferry-ctl-");
      const { target, dispose } = await d.newTarget();
      const db =
        target.kind === "sqlite"
          ? `database:\n  sqlite: ${target.path}\n`
          : `database:\n  postgres: ${target.url}\n  schema: ${target.schema}\n`;
      writeFileSync(
        join(dir, "ferry.yaml"),
        `${db}workers:\n  local: {mode: pull, workDir: runs, concurrency: 2}\n`,
      );
      writeFileSync(join(dir, "mix.yaml"), FLOW);
      const run = (...args: string[]) => ferry(args, { cwd: dir });
      assert.equal((await run("add", "mix.yaml")).code, 0);
      assert.equal((await run("launch", "--quiet")).code, 6, "three jobs fail");
      const states = async () =>
        Object.fromEntries(
          (JSON.parse((await run("jobs", "list", "--json")).stdout) as { name: string; state: string }[]).map(
            (j) => [j.name, j.state],
          ),
        );
      const runCount = async (id: number) =>
        (JSON.parse((await run("jobs", "show", String(id), "--runs", "--json")).stdout).runs as unknown[])
          .length;
      return { dir, run, states, runCount, dispose };
    }

    test("rerun with no selector exits 2 and changes nothing", async () => {
      const p = await project();
      try {
        const before = await p.states();
        const r = await p.run("rerun");
        assert.equal(r.code, 2);
        assert.match(r.stderr, /needs a selector .* or --all .* nothing was changed/);
        assert.deepEqual(await p.states(), before);
        assert.equal((await p.run("rerun", "--query", "{}")).code, 2, "an empty query is no selector either");
      } finally {
        await p.dispose();
      }
    });

    test("rerun --state FAILED reruns only failed jobs", async () => {
      const p = await project();
      try {
        const r = await p.run("rerun", "--state", "FAILED", "--json");
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.deepEqual(out.jobs.map((j: { name: string }) => j.name).sort(), ["oom", "segv-1", "segv-2"]);
        assert.deepEqual(await p.states(), {
          "ok-1": "COMPLETED",
          "ok-2": "COMPLETED",
          "segv-1": "READY",
          "segv-2": "READY",
          oom: "READY",
          "after-oom": "WAITING",
        });
      } finally {
        await p.dispose();
      }
    });

    test("rerun --runs --query with $regex on the error stack selects exactly the jobs whose last run failed with that text", async () => {
      const p = await project();
      try {
        const query = JSON.stringify({ "error.stack": { $regex: "Segmentation fault" } });
        const dry = await p.run("rerun", "--runs", "--query", query, "--dry-run", "--json");
        assert.deepEqual(
          JSON.parse(dry.stdout).jobs.map((s: { name: string }) => s.name),
          ["segv-1", "segv-2"],
        );
        assert.deepEqual((await p.states())["segv-1"], "FAILED", "--dry-run changed nothing");
        const r = await p.run("rerun", "--runs", "--query", query);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /rerun 2 jobs: segv-1#\d+ \(FAILED\), segv-2#\d+ \(FAILED\)/);
        const s = await p.states();
        assert.deepEqual([s["segv-1"], s["segv-2"], s.oom], ["READY", "READY", "FAILED"]);
        // their last runs are archived now: the same query matches nothing any more
        const again = await p.run("rerun", "--runs", "--query", query, "--json");
        assert.equal(JSON.parse(again.stdout).matched, 0);
        // job-field queries and combined selectors
        const hot = await p.run("jobs", "list", "--query", '{"inputs.temperature": {"$gte": 350}}', "--json");
        assert.deepEqual(
          JSON.parse(hot.stdout).map((j: { name: string }) => j.name),
          ["segv-2"],
        );
        const bad = await p.run("jobs", "list", "--query", '{"inputs.temperature": {"$near": 3}}');
        assert.equal(bad.code, 3);
        assert.match(bad.stderr, /\$near/);
      } finally {
        await p.dispose();
      }
    });

    test("changing more than 10 jobs needs confirmation; --yes gives it", async () => {
      const p = await project();
      try {
        writeFileSync(
          join(p.dir, "big.yaml"),
          `name: big\njobs:\n${Array.from({ length: 12 }, (_, i) => `  - {name: b${i}, sh: "true"}`).join("\n")}\n`,
        );
        await p.run("add", "big.yaml");
        const refused = await p.run("pause", "--name", "b*");
        assert.equal(refused.code, 7);
        assert.match(refused.stderr, /12 jobs would change; add --yes/);
        const ok = await p.run("pause", "--name", "b*", "--yes", "--json");
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(JSON.parse(ok.stdout).changed.length, 12);
        const resumed = await p.run("flows", "resume", "2", "--yes", "--json");
        assert.equal(JSON.parse(resumed.stdout).changed.length, 12);
      } finally {
        await p.dispose();
      }
    });

    test("update, set-priority, cancel, delete and the report", async () => {
      const p = await project();
      try {
        const list = JSON.parse((await p.run("jobs", "list", "--json")).stdout) as {
          id: number;
          name: string;
        }[];
        const id = (n: string) => String(list.find((j) => j.name === n)!.id);
        const upd = await p.run(
          "update",
          "--id",
          id("oom"),
          "--set",
          'inputs.mem="8G"',
          "--set",
          "resources.walltime=2:00:00",
          "--json",
        );
        assert.equal(upd.code, 0, upd.stderr);
        const shown = JSON.parse((await p.run("jobs", "show", id("oom"), "--json")).stdout).job;
        assert.deepEqual([shown.inputs.mem, shown.resources.walltime], ["8G", "2:00:00"]);
        const refused = await p.run("update", "--id", id("ok-1"), "--set", "inputs.x=1", "--json");
        assert.match(JSON.parse(refused.stdout).skipped[0].reason, /COMPLETED: only jobs that have not run/);
        const badKey = await p.run("update", "--id", id("oom"), "--set", "resources.walltim=1h");
        assert.equal(badKey.code, 3);
        assert.match(badKey.stderr, /unknown resource "walltim" \(did you mean "walltime"\?\)/);
        assert.equal((await p.run("set-priority", "5", "--id", id("oom"))).code, 0);
        assert.equal(JSON.parse((await p.run("jobs", "show", id("oom"), "--json")).stdout).job.priority, 5);
        const report = JSON.parse((await p.run("report", "--json")).stdout);
        const today = report.rows.at(-1);
        assert.equal(today.completed, 2);
        assert.equal(today.failed, 3);
        assert.equal(today.successPercent, 40);
        await p.run("cancel", "--id", id("after-oom"));
        assert.equal((await p.states())["after-oom"], "CANCELLED");
        const del = await p.run("delete", "--id", id("oom"), "--files", "--json");
        assert.deepEqual(
          JSON.parse(del.stdout).descendants.map((x: { name: string }) => x.name),
          ["after-oom"],
        );
        assert.equal(Object.keys(await p.states()).length, 4);
      } finally {
        await p.dispose();
      }
    });

    test("jobs logs shows each task's output", async () => {
      const p = await project();
      try {
        const list = JSON.parse((await p.run("jobs", "list", "--json")).stdout) as {
          id: number;
          name: string;
        }[];
        const r = await p.run("jobs", "logs", String(list.find((j) => j.name === "segv-1")!.id));
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /== task 0 stderr ==\nSegmentation fault \(core dumped\)/);
      } finally {
        await p.dispose();
      }
    });
  });
}
