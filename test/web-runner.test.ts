/**
 * The runner on the dashboard's Workers page, over plain HTTP against the real `ferry web`: without
 * a runner the page says so and how to start one; with `ferry runner start --foreground` driving a
 * local managed worker (shell scheduler) it shows the runner (host, pid, heartbeat) and the
 * worker's state; "stop runner" previews, refuses a POST without the CSRF token, then sets the
 * stop flag and the runner exits. A runner without a terminal on a host that asks a one-time code
 * (the sshd rig): the worker is needs-login, in red, with the commands that log in.
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { testProject } from "./helpers/project.ts";
import { FLOW, FLOW_JOBS, managedLocal, PY_TASKS, TASKS, waitFor } from "./helpers/runner.ts";
import { processesMentioning, type Sshd, SshLab } from "./helpers/sshd.ts";
import { dialects } from "./helpers/stores.ts";
import { type RunningWeb, startFerryWeb } from "./helpers/web.ts";

const d = dialects()[0]!;

async function session(web: RunningWeb) {
  const first = await fetch(`${web.base}/workers?token=${web.token}`, { redirect: "manual" });
  const cookie = (first.headers.get("set-cookie") ?? "").split(";")[0]!;
  const get = async (path: string) => {
    const r = await fetch(web.base + path, { headers: { cookie } });
    assert.equal(r.status, 200, path);
    return r.text();
  };
  const page = await get("/workers");
  const csrf = /X-Ferry-CSRF&quot;:&quot;([\w-]+)&quot;/.exec(page)?.[1];
  assert.ok(csrf, "the page carries the CSRF token");
  const post = (path: string, withCsrf = true) =>
    fetch(web.base + path, {
      method: "POST",
      headers: { cookie, origin: web.base, ...(withCsrf ? { "x-ferry-csrf": csrf } : {}) },
    });
  return { get, post };
}

/** The text of an element's row, tags stripped, spaces collapsed. */
function row(page: string, attr: string): string {
  const m = new RegExp(`<tr ${attr}[^>]*>([\\s\\S]*?)</tr>`).exec(page);
  assert.ok(m, `a row with ${attr} in:\n${page}`);
  return m[1]!
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the runner on the Workers page", { skip: d.skip }, () => {
  test("no runner: a plain sentence and the command; a runner: its pid, heartbeat and the worker's state; stop from the page", async () => {
    await using p = await testProject(d, {}, { workers: managedLocal() });
    p.file("tasks.mjs", TASKS);
    p.file("twice.py", PY_TASKS);
    p.file("flow.yaml", FLOW);
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    await using web = await startFerryWeb(p.dir);
    const s = await session(web);

    const before = await s.get("/workers");
    assert.match(before, /No runner is running for this project[^<]*<code>ferry runner start<\/code>/);
    assert.doesNotMatch(before, /not available yet/, "the placeholder is gone");
    assert.match(row(before, 'data-runner-worker="hpc"'), /^hpc \(local\) - idle 0 0 -$/);
    assert.doesNotMatch(before, /stop-runner/, "nothing to stop");

    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    let stderr = "";
    runner.stderr.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      await waitFor(
        "every job COMPLETED",
        async () => (await p.store.countJobs({ states: ["COMPLETED"] })) === FLOW_JOBS,
      );
      // the fragment the page refreshes shows what the whole page shows
      const panel = await s.get("/workers/runner");
      assert.match(panel, /^<div id="runner-state" hx-get="\/workers\/runner" hx-trigger="[^"]*every 5s/);
      const page = await s.get("/workers");
      assert.doesNotMatch(page, /No runner is running/);
      const r = row(page, "data-runner=");
      assert.match(
        r,
        new RegExp(`^\\S+ ${hostname()} ${runner.pid} \\d{4}-\\d\\d-\\d\\d [\\d:]+ \\d+s ago no$`),
      );
      const seconds = Number(/ (\d+)s ago /.exec(r)?.[1]);
      assert.ok(seconds <= 5, `a heartbeat at most a few seconds old: ${r}`);
      assert.match(
        row(page, 'data-runner-worker="hpc"'),
        new RegExp(`^hpc \\(local\\) pid ${runner.pid} on ${hostname()} ok 0 0 (now|in 1 s)$`),
      );
      assert.match(page, /data-runner-state="ok"/);

      // stop: a preview that changes nothing, a POST without the CSRF token refused, then the stop flag
      const preview = await s.post("/runner/stop/preview");
      assert.equal(preview.status, 200);
      const previewText = await preview.text();
      assert.match(previewText, /1 runner would be asked to stop/);
      assert.match(previewText, new RegExp(`pid ${runner.pid} on `));
      assert.match(previewText, /hx-post="\/runner\/stop\/apply"/);
      assert.equal((await p.store.listRunners())[0]!.stopRequested, false, "the preview changed nothing");
      const forged = await s.post("/runner/stop/apply", false);
      assert.equal(forged.status, 403);
      assert.equal((await p.store.listRunners())[0]!.stopRequested, false, "a forged POST changed nothing");
      const apply = await s.post("/runner/stop/apply");
      assert.equal(apply.status, 200);
      assert.match(await apply.text(), /asked 1 runner\(s\) to stop/);
      assert.equal(apply.headers.get("hx-trigger"), "ferry:refresh");
      assert.equal(await exited, 0, stderr);
    } finally {
      runner.kill("SIGKILL");
    }
    const after = await s.get("/workers/runner");
    assert.match(after, /No runner is running for this project/);
  });

  test("a project without a managed worker says a runner would have nothing to drive", async () => {
    await using p = await testProject(d);
    await using web = await startFerryWeb(p.dir);
    const page = await (await session(web)).get("/workers");
    assert.match(page, /No runner is running\. This project has no managed worker/);
    assert.doesNotMatch(page, /data-runner-worker/);
  });
});

describe("a worker that needs a login, on the Workers page", { skip: skipUnless("sshd") }, () => {
  let lab: SshLab;
  let login: Sshd;
  before(async () => {
    lab = await SshLab.create();
    login = await lab.server("login", { mfa: { code: "424242" } });
  });
  after(async () => {
    await lab?.[Symbol.asyncDispose]();
  });

  test("needs-login is shown in red with its error and the commands that log in", async () => {
    await using p = await testProject(
      d,
      {},
      {
        workers: {
          hpc: {
            mode: "managed",
            host: "login",
            ssh: { configFile: lab.configFile },
            scheduler: "shell",
            workDir: join(lab.remoteDir(), "runs"),
            heartbeatSeconds: 1,
            cycleSeconds: 0.5,
          },
        },
      },
    );
    p.file("flow.yaml", "name: one\njobs:\n  - {name: a, sh: 'true'}\n");
    assert.equal((await ferry(["add", "flow.yaml"], { cwd: p.dir })).code, 0);
    await using web = await startFerryWeb(p.dir);
    const s = await session(web);
    // no terminal (stdin is a pipe): the one-time code cannot be answered
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: p.dir });
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      let page = "";
      await waitFor("the page to show needs-login", async () => {
        page = await s.get("/workers/runner");
        return page.includes('data-runner-state="needs-login"');
      });
      assert.match(page, /class="rs rs-needs-login"/, "styled as trouble");
      assert.match(page, /<strong>Worker hpc needs a login\.<\/strong> Its ssh host <code>login<\/code>/);
      assert.match(
        page,
        /stop the runner \(<code>ferry runner stop --wait<\/code>\), then run <code>ferry runner start<\/code>: it logs in first/,
      );
      assert.match(row(page, 'data-runner-worker="hpc"'), /^hpc login pid \d+ on \S+ needs-login 0 0 /);
      assert.match(
        page,
        /class="last-error"[^>]*>[^<]*a runner without a terminal cannot answer a login prompt/,
      );
      assert.equal(login.codeChecks(), 0, "no code was guessed or sent");
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: p.dir })).code, 0);
      assert.equal(await exited, 0);
    } finally {
      runner.kill("SIGKILL");
    }
    assert.deepEqual(processesMentioning(join(p.dir, ".ferry")), [], "no ssh process left behind");
  });
});
