/**
 * The pilot script run by a real sh, without a scheduler: claims, races, maxJobs, walltime fit,
 * cancel requests and hostile paths. Each "bundle" is a stand-in run.sh that logs its run.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { processesMentioning } from "../../test/helpers/proc.ts";
import { entryContent, entryName, newPilotToken, queuePaths } from "./layout.ts";
import { renderPilotScript } from "./pilot-script.ts";

interface Lab {
  workDir: string;
  log: string;
  [Symbol.dispose](): void;
}

function lab(name = "ferry-pilot-"): Lab {
  const root = mkdtempSync(join(tmpdir(), name));
  const workDir = join(root, 'work dir it\'s "odd" $(touch pwned)');
  mkdirSync(workDir, { recursive: true });
  return {
    workDir,
    log: join(root, "log"),
    [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A bundle whose run.sh logs "<id>" (and sleeps `sleep` seconds, trapping TERM). */
function bundle(l: Lab, id: number, o: { walltime?: number; sleep?: number } = {}): string {
  const dir = join(l.workDir, `job ${id}`);
  mkdirSync(join(dir, "_ferry"), { recursive: true });
  const body = o.sleep
    ? `trap 'echo ${id}-TERM >> "$LOG"; exit 143' TERM\necho ${id} >> "$LOG"\nsleep ${o.sleep} & wait $!\n`
    : `echo ${id} >> "$LOG"\n`;
  writeFileSync(join(dir, "_ferry", "run.sh"), `#!/bin/sh\nLOG=${JSON.stringify(l.log)}\n${body}`);
  const q = queuePaths(l.workDir);
  mkdirSync(q.ready, { recursive: true });
  writeFileSync(join(q.ready, entryName(id)), entryContent(o.walltime ?? 0, dir));
  return dir;
}

function pilot(
  l: Lab,
  o: { maxJobs?: number; wall?: number; parallel?: number; linger?: number; preRun?: string } = {},
): { token: string; done: Promise<{ code: number | null; out: string }>; kill(): void } {
  const token = newPilotToken();
  const q = queuePaths(l.workDir);
  mkdirSync(q.pilot(token).dir, { recursive: true });
  const script = renderPilotScript({
    queue: q,
    token,
    worker: "w",
    directives: [],
    maxJobs: o.maxJobs ?? 1000,
    wallSeconds: o.wall ?? 600,
    parallel: o.parallel ?? 1,
    lingerSeconds: o.linger ?? 0,
    cancelCheckSeconds: 1,
    ...(o.preRun ? { preRun: o.preRun } : {}),
  });
  writeFileSync(q.pilot(token).script, script);
  const child = spawn("sh", [q.pilot(token).script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const done = new Promise<{ code: number | null; out: string }>((r) =>
    child.on("close", (code) => r({ code, out })),
  );
  return { token, done, kill: () => child.kill("SIGTERM") };
}

const logged = (l: Lab) => (existsSync(l.log) ? readFileSync(l.log, "utf8").split("\n").filter(Boolean) : []);
const list = (d: string) => (existsSync(d) ? readdirSync(d) : []);

test("two pilots with three slots each race on 150 entries: every bundle runs exactly once", async () => {
  using l = lab();
  for (let i = 1; i <= 150; i++) bundle(l, i);
  const a = pilot(l, { parallel: 3 });
  const b = pilot(l, { parallel: 3 });
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0);
  assert.equal(rb.code, 0);
  const runs = logged(l);
  assert.equal(runs.length, 150, "150 runs in all");
  assert.equal(new Set(runs).size, 150, "none twice");
  const q = queuePaths(l.workDir);
  assert.deepEqual(list(q.ready), []);
  assert.deepEqual(list(q.taken), []);
  assert.equal(list(q.done).length, 150);
  assert.ok(existsSync(q.pilot(a.token).ended) && existsSync(q.pilot(b.token).ended), "each says it ended");
  // no watcher or slot outlives its pilot (under the shell scheduler nothing else would end them)
  const end = Date.now() + 5000;
  while (processesMentioning(l.workDir).length > 0) {
    assert.ok(Date.now() < end, `left running: ${processesMentioning(l.workDir).join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!existsSync(join(l.workDir, "..", "pwned")) && !existsSync("pwned"), "the path stayed data");
});

test("maxJobs is shared by the slots of one pilot", async () => {
  using l = lab();
  for (let i = 1; i <= 7; i++) bundle(l, i);
  const p = pilot(l, { maxJobs: 3, parallel: 3 });
  const r = await p.done;
  assert.equal(logged(l).length, 3);
  assert.equal(list(queuePaths(l.workDir).ready).length, 4, "the rest are left for other pilots");
  assert.match(r.out, /maxJobs \(3\) reached/);
});

test("a job longer than the pilot's remaining time is left in the queue for another pilot", async () => {
  using l = lab();
  bundle(l, 1, { walltime: 5 });
  bundle(l, 2, { walltime: 100 });
  bundle(l, 3, { walltime: 5 });
  const p = pilot(l, { wall: 60 });
  const r = await p.done;
  assert.deepEqual(logged(l), ["1"], "it stops at the first job that does not fit");
  assert.deepEqual(list(queuePaths(l.workDir).ready), [entryName(2), entryName(3)]);
  assert.match(r.out, /r000000000002 needs 100s; left for another pilot/);
});

test("a fresh pilot takes a job that needs its whole walltime", async () => {
  using l = lab();
  bundle(l, 1, { walltime: 3, sleep: 2 });
  bundle(l, 2, { walltime: 3 });
  // a slow start (module loads in preRun): the pilot has less than its walltime left at once
  const p = pilot(l, { wall: 3, preRun: "sleep 1.2" });
  const r = await p.done;
  assert.deepEqual(logged(l), ["1"], "the first, not the second: 2 s later the pilot has less than 3 s left");
  assert.match(r.out, /r000000000002 needs 3s; left for another pilot/);
});

test("a cancel request stops that job's run.sh only; the pilot takes the next", async () => {
  using l = lab();
  bundle(l, 1, { sleep: 60 });
  bundle(l, 2);
  const q = queuePaths(l.workDir);
  const p = pilot(l);
  const end = Date.now() + 10_000;
  while (!logged(l).includes("1")) {
    assert.ok(Date.now() < end, "job 1 never started");
    await new Promise((r) => setTimeout(r, 50));
  }
  mkdirSync(q.cancel, { recursive: true });
  writeFileSync(join(q.cancel, entryName(1)), "cancelled\n");
  const r = await p.done;
  assert.equal(r.code, 0);
  assert.deepEqual(logged(l), ["1", "1-TERM", "2"]);
});

test("a pilot sent TERM passes it to its running job, takes nothing more, and leaves the rest", async () => {
  using l = lab();
  bundle(l, 1, { sleep: 60 });
  bundle(l, 2);
  const p = pilot(l);
  const end = Date.now() + 10_000;
  while (!logged(l).includes("1")) {
    assert.ok(Date.now() < end, "job 1 never started");
    await new Promise((r) => setTimeout(r, 50));
  }
  p.kill(); // the pilot's shell alone, as scancel does
  const r = await p.done;
  assert.equal(r.code, 0);
  assert.deepEqual(logged(l), ["1", "1-TERM"], "job 1 heard of it, job 2 was not taken");
  assert.deepEqual(list(queuePaths(l.workDir).ready), [entryName(2)]);
  assert.match(r.out, /signalled/);
});

test("numbers and tokens that could break the script are refused", () => {
  using l = lab();
  const q = queuePaths(l.workDir);
  const base = {
    queue: q,
    token: newPilotToken(),
    worker: "w",
    directives: [],
    maxJobs: 1,
    wallSeconds: 60,
    parallel: 1,
    lingerSeconds: 0,
  };
  assert.throws(() => renderPilotScript({ ...base, maxJobs: 1.5 }), /batch.maxJobs/);
  assert.throws(() => renderPilotScript({ ...base, parallel: 0 }), /batch.parallel/);
  assert.throws(() => renderPilotScript({ ...base, token: "p1; rm -rf /" }), /not a pilot token/);
  assert.throws(() => renderPilotScript({ ...base, queue: queuePaths("/a\nb") }), /newline/);
});
