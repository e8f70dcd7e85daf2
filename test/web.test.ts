/**
 * The dashboard end to end, in Debian's Chromium driven by playwright-core, against the real
 * `ferry web` command: the token, a flow whose graph and table change live while `ferry launch`
 * runs it, a failed job rerun from its page after the confirmation, a 10,000-job flow opened
 * within a bound measured in the browser, a job with 10 MB of outputs, the Workers page following a
 * runner that starts, runs jobs and is stopped from the page. Screenshots of the flows, flow, job
 * and workers pages go to $FERRY_TEST_ARTIFACTS/web/ (default .artifacts/web/).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { artifactsDir, launchChromium } from "./helpers/browser.ts";
import { ferry, spawnFerry } from "./helpers/cli.ts";
import { skipUnless } from "./helpers/components.ts";
import { managedLocal, waitFor } from "./helpers/runner.ts";
import { SshLab } from "./helpers/sshd.ts";
import { tempDir } from "./helpers/stores.ts";
import { type RunningWeb, startFerryWeb } from "./helpers/web.ts";

/** Goal: under 1 s on the project's 2-core VM. The assertion leaves room for a loaded CI machine. */
const OPEN_10K_BOUND_MS = 6000;

function project(flow: string, file = "flow.yaml"): string {
  const dir = tempDir("ferry-web-e2e-");
  writeFileSync(
    join(dir, "ferry.yaml"),
    "database:\n  sqlite: ferry.db\nworkers:\n  local: {mode: pull, workDir: runs, concurrency: 2}\n",
  );
  writeFileSync(join(dir, file), flow);
  return dir;
}

async function add(dir: string, file = "flow.yaml"): Promise<void> {
  const r = await ferry(["add", file], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
}

async function launch(dir: string): Promise<number | null> {
  return (await ferry(["launch", "--quiet"], { cwd: dir })).code;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(artifactsDir(), `${name}.png`), fullPage: true });

describe("ferry web in Chromium", { skip: skipUnless("chromium") }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(web: RunningWeb, path = "/"): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(`${web.base}${path}?token=${web.token}`);
    return page;
  }

  test("the flows page opens with the token and answers 401 without it", async () => {
    const dir = project(
      "name: hello\njobs:\n  - {name: a, sh: 'true'}\n  - {name: b, parents: [a], sh: 'exit 1'}\n",
    );
    await add(dir);
    assert.equal(await launch(dir), 6);
    await using web = await startFerryWeb(dir);
    const page = await browser.newPage();
    const denied = await page.goto(`${web.base}/flows`);
    assert.equal(denied?.status(), 401);
    assert.match((await page.textContent("body")) ?? "", /open the URL `ferry web` printed/);
    await page.goto(web.url);
    assert.equal(new URL(page.url()).pathname, "/flows");
    assert.doesNotMatch(page.url(), /token/, "the token left the address bar");
    assert.equal(await page.textContent("tr[data-flow='1'] .badge"), "FAILED");
    await page.close();
  });

  test("a flow's graph and table change live while `ferry launch` runs it", async () => {
    const step = (name: string, parents: string[]) =>
      `  - {name: ${name}, sh: 'sleep 0.7'${parents.length ? `, parents: [${parents.join(", ")}]` : ""}}\n`;
    const dir = project(
      `name: live\njobs:\n${step("prepare", [])}${["a", "b", "c", "d"].map((n) => step(`relax-${n}`, ["prepare"])).join("")}${step("collect", ["relax-a", "relax-b", "relax-c", "relax-d"])}`,
    );
    await add(dir);
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/flows/1");
    await page.waitForSelector("#graph[data-ready='1']");
    assert.deepEqual(await page.evaluate(() => window.ferryGraph!.g.state), [
      "READY",
      "WAITING",
      "WAITING",
      "WAITING",
      "WAITING",
      "WAITING",
    ]);
    // remember every state a badge shows, and mark the window: a reload would lose the mark
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[]; mark: boolean };
      w.seen = [];
      w.mark = true;
      new MutationObserver(() => {
        for (const b of document.querySelectorAll("table.jobs .badge")) w.seen.push(b.textContent ?? "");
      }).observe(document.querySelector("table.jobs")!, { subtree: true, attributes: true, childList: true });
    });
    const launcher = spawnFerry(["launch", "--quiet"], { cwd: dir });
    const launched = new Promise((resolve) => launcher.on("exit", resolve));
    await page.waitForFunction(() => window.ferryGraph!.g.state.includes("RUNNING"), null, {
      timeout: 30_000,
    });
    await shot(page, "flow-running");
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("table.jobs .badge")].every((b) => b.textContent === "COMPLETED") &&
        window.ferryGraph!.g.state.every((s) => s === "COMPLETED"),
      null,
      { timeout: 60_000 },
    );
    assert.equal(await launched, 0);
    const w = await page.evaluate(() => {
      const x = window as unknown as { seen: string[]; mark: boolean };
      return { seen: x.seen, mark: x.mark };
    });
    assert.equal(w.mark, true, "no reload: the page changed by itself");
    assert.ok(w.seen.includes("RUNNING"), "the table showed RUNNING on the way");
    await page.waitForFunction(
      () => document.querySelector("#flow-summary .badge")?.textContent === "COMPLETED",
    );
    await shot(page, "flow");
    await page.goto(`${web.base}/flows`);
    await shot(page, "flows");
    await page.close();
  });

  test("a failed job is rerun from its page after the confirmation, and completes", async () => {
    const marker = join(tempDir("ferry-web-mark-"), "tried");
    const dir = project(
      `name: flaky\njobs:\n  - {name: flaky, sh: "test -e ${marker} || { touch ${marker}; echo 'first try: disk full' >&2; exit 1; }"}\n`,
    );
    await add(dir);
    assert.equal(await launch(dir), 6);
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/jobs/1");
    assert.equal(await page.textContent("#job-state .badge"), "FAILED");
    assert.match((await page.textContent(".error")) ?? "", /exited with code 1/);
    assert.match((await page.textContent("details pre")) ?? "", /first try: disk full/, "the stderr tail");
    await page.waitForSelector("#log[data-ended='1']");
    assert.match((await page.textContent("#log")) ?? "", /first try: disk full/, "the log");
    await shot(page, "job");

    await page.click("form.actions button[value=rerun]");
    await page.waitForSelector("dialog#dialog[open] .confirm-button");
    const preview = (await page.textContent("dialog#dialog pre.preview")) ?? "";
    assert.match(preview, /would rerun 1 job: flaky#1 \(FAILED\)/, "the CLI's --dry-run text");
    await shot(page, "confirm");
    const unchanged = JSON.parse((await ferry(["jobs", "show", "1", "--json"], { cwd: dir })).stdout);
    assert.equal(unchanged.job.state, "FAILED", "nothing changes before the confirmation");
    await page.click("dialog#dialog .confirm-button");
    await page.waitForSelector("dialog#dialog .outcome");
    assert.match((await page.textContent("dialog#dialog .outcome h2")) ?? "", /rerun: 1 job changed/);
    await page.click("dialog#dialog .close-dialog");
    await page.waitForFunction(() => document.querySelector("#job-state .badge")?.textContent === "READY");
    assert.equal(await launch(dir), 0);
    await page.waitForFunction(
      () => document.querySelector("#job-state .badge")?.textContent === "COMPLETED",
      null,
      {
        timeout: 30_000,
      },
    );
    await page.close();
  });

  test("a 10,000-job flow is interactive within the bound: graph drawn, table paged", async (t) => {
    const width = 100;
    const jobs = Array.from({ length: 10_000 }, (_, i) => {
      const layer = Math.floor(i / width);
      const parents =
        layer === 0 ? [] : [...new Set([(i * 7) % width, (i * 13 + 5) % width].slice(0, 1 + (i % 2)))];
      return { name: `j${i}`, sh: "true", parents: parents.map((p) => `j${(layer - 1) * width + p}`) };
    });
    const dir = project(JSON.stringify({ name: "ten-thousand", jobs }), "flow.json");
    await add(dir, "flow.json");
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/flows");
    const t0 = Date.now();
    await page.goto(`${web.base}/flows/1`);
    await page.waitForSelector("#graph[data-ready='1']", { timeout: 60_000 });
    const wall = Date.now() - t0;
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      return {
        t: window.ferryTimings,
        domContentLoaded: nav.domContentLoadedEventEnd,
        rows: document.querySelectorAll("table.jobs tbody tr").length,
        pager: document.querySelector("#jobs .pager")?.textContent?.replace(/\s+/g, " ").trim(),
        summary: document.querySelector("#flow-summary")?.textContent?.replace(/\s+/g, " "),
        nodes: window.ferryGraph!.g.job.length,
      };
    });
    const interactive = Math.max(m.t.graphReadyMs!, m.domContentLoaded);
    await page.click("[data-zoom=in]");
    await page.waitForTimeout(100);
    const redraw = await page.evaluate(() => window.ferryGraph!.lastDrawMs);
    const report = `10,000-job flow: interactive ${interactive.toFixed(0)} ms after navigation (HTML ${m.domContentLoaded.toFixed(0)} ms, graph JSON ${m.t.graphFetchMs!.toFixed(0)} ms, server layout ${m.t.layoutMs} ms, first draw ${m.t.graphDrawMs!.toFixed(0)} ms; zoomed redraw ${redraw.toFixed(0)} ms; wall ${wall} ms); goal < 1000 ms, bound ${OPEN_10K_BOUND_MS} ms`;
    t.diagnostic(report);
    process.stdout.write(`# ${report}\n`);
    assert.equal(m.nodes, 10_000, "every job drawn (no group collapses distinct jobs)");
    assert.equal(m.rows, 50, "the table holds one page");
    assert.match(m.pager ?? "", /1–50 next/, "paged, with a next page");
    assert.match(m.summary ?? "", /10000 jobs/);
    assert.ok(interactive < OPEN_10K_BOUND_MS, report);
    await shot(page, "flow-10k");
    // a click on a node opens that job
    const target = await page.evaluate(() => {
      const v = window.ferryGraph!;
      v.fit();
      const r = v.canvas.getBoundingClientRect();
      const i = 0;
      return {
        x: r.left + v.tx + (v.g.x[i]! * 170 + 40) * v.scale,
        y: r.top + v.ty + (v.g.y[i]! * 34 + 12) * v.scale,
        id: v.g.job[i],
      };
    });
    await page.mouse.click(target.x, target.y);
    await page.waitForURL(`**/jobs/${target.id}`);
    await page.close();
  });

  test("the Workers page follows a runner: it appears, runs jobs, and is stopped from the page", async () => {
    const dir = tempDir("ferry-web-e2e-");
    writeFileSync(
      join(dir, "ferry.yaml"),
      JSON.stringify({ database: { sqlite: "ferry.db" }, workers: managedLocal() }),
    );
    writeFileSync(
      join(dir, "flow.yaml"),
      `name: relax\njobs:\n${["a", "b", "c"].map((n) => `  - {name: relax-${n}, sh: 'sleep 8'}\n`).join("")}`,
    );
    await add(dir);
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/workers");
    assert.match((await page.textContent("#runner-state .no-runner")) ?? "", /ferry runner start/);
    await page.evaluate(() => {
      (window as unknown as { mark: boolean }).mark = true;
    });
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: dir });
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      // no reload: the panel refreshes itself (job changes, and every few seconds for heartbeats)
      await page.waitForSelector(`#runner-state tr[data-runner] td.num >> text=${runner.pid}`, {
        timeout: 30_000,
      });
      await page.waitForFunction(
        () => Number(document.querySelector("[data-runner-worker=hpc] .running")?.textContent) > 0,
        null,
        { timeout: 30_000 },
      );
      assert.equal(await page.textContent("[data-runner-worker=hpc] [data-runner-state]"), "ok");
      assert.equal(await page.evaluate(() => (window as unknown as { mark?: boolean }).mark), true);
      await shot(page, "workers-runner");

      await page.click("#runner-state .stop-runner");
      await page.waitForSelector("dialog#dialog[open] .confirm-button");
      assert.match(
        (await page.textContent("dialog#dialog pre.preview")) ?? "",
        new RegExp(`pid ${runner.pid} on `),
      );
      await page.click("dialog#dialog .confirm-button");
      await page.waitForSelector("dialog#dialog .outcome");
      assert.match(
        (await page.textContent("dialog#dialog .outcome h2")) ?? "",
        /asked 1 runner\(s\) to stop/,
      );
      await page.click("dialog#dialog .close-dialog");
      await waitFor("the runner to exit", async () => runner.exitCode !== null);
      assert.equal(await exited, 0);
      await page.waitForSelector("#runner-state .no-runner", { timeout: 30_000 });
    } finally {
      runner.kill("SIGKILL");
    }
    await page.close();
  });

  test("a worker that needs a login is red on the Workers page, with what to do", {
    skip: skipUnless("sshd"),
  }, async () => {
    await using lab = await SshLab.create();
    await lab.server("login", { mfa: { code: "424242" } });
    const dir = tempDir("ferry-web-e2e-");
    const hpc = {
      mode: "managed",
      host: "login",
      ssh: { configFile: lab.configFile },
      scheduler: "shell",
      workDir: join(lab.remoteDir(), "runs"),
      heartbeatSeconds: 1,
      cycleSeconds: 0.5,
    };
    writeFileSync(
      join(dir, "ferry.yaml"),
      JSON.stringify({ database: { sqlite: "ferry.db" }, workers: { hpc } }),
    );
    writeFileSync(join(dir, "flow.yaml"), "name: one\njobs:\n  - {name: a, sh: 'true'}\n");
    await add(dir);
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/workers");
    // stdin is a pipe: the runner cannot answer the one-time code
    const runner = spawnFerry(["runner", "start", "--foreground"], { cwd: dir });
    const exited = new Promise<number | null>((r) => runner.once("exit", (code) => r(code)));
    try {
      await page.waitForSelector("[data-runner-worker=hpc] [data-runner-state=needs-login]", {
        timeout: 30_000,
      });
      const color = await page.evaluate(
        () => getComputedStyle(document.querySelector("[data-runner-state=needs-login]")!).backgroundColor,
      );
      assert.equal(color, "rgb(217, 48, 37)", "trouble is red");
      assert.match(
        (await page.textContent(".needs-login")) ?? "",
        /Worker hpc needs a login\..*ferry runner start/s,
      );
      await shot(page, "workers-needs-login");
      assert.equal((await ferry(["runner", "stop", "--wait"], { cwd: dir })).code, 0);
      assert.equal(await exited, 0);
    } finally {
      runner.kill("SIGKILL");
    }
    await page.close();
  });

  test("a job with 10 MB of outputs opens without freezing the page", async (t) => {
    const dir = project(
      `name: big\njobs:\n  - {name: big, sh: "python3 -c \\"import json; print(json.dumps({'rows': ['x' * 100] * 100000}))\\" > \\"$FERRY_OUTPUTS\\""}\n`,
    );
    await add(dir);
    assert.equal(await launch(dir), 0);
    await using web = await startFerryWeb(dir);
    const page = await open(web, "/flows");
    const t0 = Date.now();
    await page.goto(`${web.base}/jobs/1`);
    const loadMs = Date.now() - t0;
    // the main thread answers: a frame comes within 200 ms of asking
    const frameMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const s = performance.now();
          requestAnimationFrame(() => resolve(performance.now() - s));
        }),
    );
    const shown = await page.evaluate(() => document.querySelector("#outputs")!.textContent!.length);
    assert.ok(shown < 40_000, `the page holds a slice (${shown} characters), not 10 MB`);
    await page.click("#outputs button.more");
    await page.waitForFunction(
      (n) => document.querySelector("#outputs")!.textContent!.length > n + 200_000,
      shown,
    );
    const link = await page.getAttribute("a[download]", "href");
    assert.equal(link, "/jobs/1/data/outputs?download=1");
    t.diagnostic(`10 MB outputs: page loaded in ${loadMs} ms, next frame after ${frameMs.toFixed(0)} ms`);
    assert.ok(frameMs < 200, `a frame took ${frameMs} ms`);
    await shot(page, "job-10mb");
    await page.close();
  });
});
