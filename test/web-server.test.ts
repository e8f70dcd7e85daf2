/**
 * `ferry web` over plain HTTP, as a browser or a script would meet it: the token, the cookie, the
 * refusals of cross-site and forged requests, the command's own options, and a job with 10 MB of
 * outputs served a slice at a time.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ferry } from "./helpers/cli.ts";
import { tempDir } from "./helpers/stores.ts";
import { startFerryWeb } from "./helpers/web.ts";

const FLOW = `name: small
jobs:
  - {name: ok, sh: "echo fine"}
  - {name: bad, sh: "echo broken >&2; exit 2"}
  - {name: big, sh: "python3 -c \\"import json; print(json.dumps({'rows': ['x' * 100] * 100000}))\\" > \\"$FERRY_OUTPUTS\\""}
`;

async function project(): Promise<string> {
  const dir = tempDir("ferry-web-");
  writeFileSync(
    join(dir, "ferry.yaml"),
    "database:\n  sqlite: ferry.db\nworkers:\n  local: {mode: pull, workDir: runs}\n",
  );
  writeFileSync(join(dir, "flow.yaml"), FLOW);
  assert.equal((await ferry(["add", "flow.yaml"], { cwd: dir })).code, 0);
  assert.equal((await ferry(["launch", "--quiet"], { cwd: dir })).code, 6, "one job fails");
  return dir;
}

function cookieOf(res: Response): string {
  const set = res.headers.get("set-cookie") ?? "";
  return set.split(";")[0]!;
}

describe("ferry web over HTTP", () => {
  test("401 without the token; the token gives an HttpOnly SameSite=Strict cookie and a redirect without it", async () => {
    const dir = await project();
    await using web = await startFerryWeb(dir);
    assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    for (const path of [
      "/",
      "/flows",
      "/flows/1",
      "/jobs/1",
      "/events",
      "/assets/app.js",
      "/flows/1/graph.json",
    ]) {
      const r = await fetch(web.base + path, { redirect: "manual" });
      assert.equal(r.status, 401, path);
      assert.doesNotMatch(await r.text(), /small|broken/, "nothing of the project leaks");
    }
    const wrong = await fetch(`${web.base}/flows?token=nope`, { redirect: "manual" });
    assert.equal(wrong.status, 401);

    const first = await fetch(`${web.base}/flows?token=${web.token}`, { redirect: "manual" });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get("location"), "/flows", "the token leaves the address bar");
    const setCookie = first.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const page = await fetch(`${web.base}/flows`, { headers: { cookie: cookieOf(first) } });
    assert.equal(page.status, 200);
    const text = await page.text();
    assert.match(text, /small/);
    assert.match(page.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.equal(await web.stop(), 0, "SIGTERM stops it cleanly");
    assert.doesNotMatch(web.stderr(), new RegExp(web.token), "the token is never logged");
  });

  test("POSTs need the same origin and the CSRF token; another Host is refused", async () => {
    const dir = await project();
    await using web = await startFerryWeb(dir);
    const cookie = cookieOf(await fetch(`${web.base}/?token=${web.token}`, { redirect: "manual" }));
    const page = await (await fetch(`${web.base}/jobs/2`, { headers: { cookie } })).text();
    const csrf = /X-Ferry-CSRF&quot;:&quot;([\w-]+)&quot;/.exec(page)?.[1];
    assert.ok(csrf, "the page carries its CSRF token");
    const body = "action=rerun&scope=checked&id=2";
    const post = (headers: Record<string, string>) =>
      fetch(`${web.base}/actions/preview`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    assert.equal((await post({})).status, 403, "no CSRF token");
    assert.equal((await post({ "x-ferry-csrf": "forged" })).status, 403, "wrong CSRF token");
    assert.equal(
      (await post({ "x-ferry-csrf": csrf, "sec-fetch-site": "cross-site" })).status,
      403,
      "another site's request",
    );
    assert.equal((await post({ "x-ferry-csrf": csrf, origin: "http://evil.example" })).status, 403);
    const ok = await post({ "x-ferry-csrf": csrf, "sec-fetch-site": "same-origin" });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /would rerun 1 job: bad#2 \(FAILED\)/, "the CLI's dry-run text");
    // fetch() will not send another Host header: node:http will
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(web.base);
      request(
        { host: u.hostname, port: u.port, path: "/flows", headers: { cookie, host: "attacker.example" } },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      )
        .on("error", reject)
        .end();
    });
    assert.equal(rebound, 403, "a DNS-rebinding Host is refused");
    const states = JSON.parse((await ferry(["jobs", "list", "--json"], { cwd: dir })).stdout) as {
      state: string;
    }[];
    assert.equal(states.filter((s) => s.state === "FAILED").length, 1, "the preview changed nothing");
  });

  test("--port that is not a number exits 2; a port in use exits 7; a non-loopback host warns", async () => {
    const dir = await project();
    const bad = await ferry(["web", "--port", "abc"], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port <n>' argument 'abc' is invalid/);
    await using web = await startFerryWeb(dir);
    const busy = await ferry(["web", "--port", new URL(web.base).port], { cwd: dir });
    assert.equal(busy.code, 7);
    assert.match(busy.stderr, /is in use/);
    await using open = await startFerryWeb(dir, ["--host", "0.0.0.0"]);
    assert.match(open.stderr(), /warning: listening on 0\.0\.0\.0/);
    const port = new URL(open.base).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/flows`)).status, 401, "the token is still required");
  });

  test("10 MB of outputs: the job page stays small, the rest comes a slice at a time or as a download", async () => {
    const dir = await project();
    await using web = await startFerryWeb(dir);
    const cookie = cookieOf(await fetch(`${web.base}/?token=${web.token}`, { redirect: "manual" }));
    const t0 = performance.now();
    const res = await fetch(`${web.base}/jobs/3`, { headers: { cookie } });
    const page = await res.text();
    const ms = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(page.length < 200_000, `job page is ${page.length} characters`);
    assert.match(page, /show 256\.0 KB more/);
    assert.match(page, /download all \(1\d\.\d MB\)/);
    const slice = await (
      await fetch(`${web.base}/jobs/3/data/outputs?offset=32768`, { headers: { cookie } })
    ).text();
    assert.ok(slice.length > 256 * 1024 && slice.length < 300 * 1024, `slice of ${slice.length}`);
    const whole = await fetch(`${web.base}/jobs/3/data/outputs?download=1`, { headers: { cookie } });
    const value = JSON.parse(await whole.text()) as { rows: string[] };
    assert.equal(value.rows.length, 100_000, "the download is the whole value");
    process.stdout.write(
      `# job page with 10 MB of outputs served in ${ms.toFixed(0)} ms, ${page.length} characters\n`,
    );
  });
});
