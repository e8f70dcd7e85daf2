/**
 * The remote scripts run here under dash and bash (the remote side's likely /bin/sh), without
 * ssh: the read script must refuse exactly what LocalTransport refuses, and the upload script
 * must put every file in place, atomically and in order.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/helpers/stores.ts";
import { LocalTransport } from "../local.ts";
import { ByteReader } from "./byte-reader.ts";
import { parseReadOutput, readScript } from "./read-script.ts";
import { newNonce, parseStderr, remoteLine, wrapperScript } from "./remote-line.ts";
import { tarStream } from "./tar-write.ts";
import { renameRuns, uploadPlan } from "./write-script.ts";

const SHELLS = ["dash", "bash"];

function run(
  shell: string,
  script: string,
  stdin: AsyncIterable<Uint8Array> | string,
  consume?: (s: AsyncIterable<Uint8Array>) => Promise<void>,
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const c = spawn(shell, ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdin.on("error", () => {}); // the script may end without reading its stdin
    c.stderr.on("data", (d) => {
      stderr += d;
    });
    const reading = consume
      ? consume(c.stdout)
      : (async () => {
          for await (const d of c.stdout) stdout += d;
        })();
    (async () => {
      if (typeof stdin === "string") c.stdin.end(stdin);
      else {
        for await (const chunk of stdin) c.stdin.write(chunk);
        c.stdin.end();
      }
    })().catch(reject);
    c.on("close", async (code) => {
      await reading.catch(reject);
      resolve({ code, stdout, stderr });
    });
  });
}

function fixture(): { dir: string; paths: string[] } {
  const root = tempDir();
  const dir = path.join(root, "launch");
  fs.mkdirSync(path.join(dir, "sub"), { recursive: true });
  fs.writeFileSync(path.join(dir, "ok"), "hello");
  fs.writeFileSync(path.join(dir, "big"), "x".repeat(5000));
  fs.writeFileSync(path.join(root, "secret"), "outside");
  execFileSync("mkfifo", [path.join(dir, "fifo")]);
  fs.symlinkSync("/dev/zero", path.join(dir, "zero"));
  fs.symlinkSync(path.join(dir, "loop-b"), path.join(dir, "loop-a"));
  fs.symlinkSync(path.join(dir, "loop-a"), path.join(dir, "loop-b"));
  fs.symlinkSync("ok", path.join(dir, "rel-link"));
  fs.symlinkSync("../ok", path.join(dir, "sub", "up-link"));
  fs.symlinkSync(path.join(root, "secret"), path.join(dir, "out-link"));
  fs.symlinkSync(path.join(dir, "gone"), path.join(dir, "dangling"));
  fs.writeFileSync(path.join(dir, "odd 'name'\n$x"), "odd");
  const names = [
    "ok",
    "big",
    "fifo",
    "zero",
    "loop-a",
    "rel-link",
    "sub/up-link",
    "out-link",
    "dangling",
    "sub",
    "missing",
    "ok/x",
    "odd 'name'\n$x",
    "../secret",
  ];
  return { dir, paths: names.map((n) => path.join(dir, n)) };
}

function verdict(v: string | null | Error | undefined): string {
  if (v instanceof Error) return `refused:${(v as { refusal?: string }).refusal}`;
  return v === null ? "null" : `text:${v}`;
}

for (const shell of SHELLS) {
  test(`the read script refuses what LocalTransport refuses (${shell})`, async () => {
    const { dir, paths } = fixture();
    for (const options of [{ maxBytes: 4096 }, { maxBytes: 4096, within: dir }, { maxBytes: 10_000 }]) {
      const local = await new LocalTransport().readMany(paths, options);
      const end = newNonce();
      const bytes = paths.map(() => [] as Buffer[]);
      let verdicts: Awaited<ReturnType<typeof parseReadOutput>> = [];
      const r = await run(
        shell,
        'eval "$(cat)"',
        readScript({ paths, maxBytes: options.maxBytes, within: options.within }, end),
        async (stdout) => {
          const reader = new ByteReader(stdout);
          verdicts = await parseReadOutput(reader, paths.length, end, (i) => (c) => {
            bytes[i]!.push(Buffer.from(c));
          });
          await reader.drain();
        },
      );
      assert.equal(r.code, 0, r.stderr);
      paths.forEach((p, i) => {
        const v = verdicts[i]!;
        const remote =
          v.status === "ok"
            ? `text:${Buffer.concat(bytes[i]!).toString()}`
            : v.status === "missing"
              ? "null"
              : `refused:${{ "too-large": "too-large", outside: "outside", unreadable: "unreadable" }[v.status as string] ?? "not-a-file"}`;
        assert.equal(
          remote,
          verdict(local.get(p)),
          `${JSON.stringify(options)} ${path.basename(p)}: ${v.status}`,
        );
      });
    }
  });

  test(`the upload script puts files in place with their modes, in order, leaving no staging (${shell})`, async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, "b"));
    fs.writeFileSync(path.join(dir, "b", "old"), "old content");
    const items = ["a/1", "b/old", "a/2", "c d/3 'x'", "a/marker"].map((n, i) => {
      const data = Buffer.from(`content ${i}`);
      return { path: path.join(dir, n), mode: n === "a/2" ? 0o755 : 0o644, size: data.length, source: data };
    });
    const plan = uploadPlan(items, "abc123");
    const r = await run(shell, plan.script, tarStream(plan.tar));
    assert.equal(r.code, 0, r.stderr);
    items.forEach((it, i) => {
      assert.equal(fs.readFileSync(it.path, "utf8"), `content ${i}`);
      assert.equal(fs.statSync(it.path).mode & 0o777, it.mode & ~process.umask());
    });
    for (const d of ["a", "b", "c d"])
      assert.ok(fs.readdirSync(path.join(dir, d)).every((n) => !n.startsWith(".ferry")));
  });
}

test("renameRuns keeps folder-by-folder batches in order and always moves the last file last", () => {
  assert.deepEqual(renameRuns(["/a/1", "/a/2", "/b/3"]), [
    { dir: "/a", names: ["1", "2"] },
    { dir: "/b", names: ["3"] },
  ]);
  const mixed = Array.from({ length: 1000 }, (_, i) => `/d${i % 10}/f${i}`);
  const runs = renameRuns(mixed);
  assert.equal(runs.length, 11, "one mv per folder plus the last file");
  assert.deepEqual(runs.at(-1), { dir: "/d9", names: ["f999"] });
  assert.equal(
    runs
      .flatMap((r) => r.names.map((n) => `${r.dir}/${n}`))
      .sort()
      .join(),
    [...mixed].sort().join(),
  );
});

for (const shell of SHELLS) {
  test(`the command wrapper reports the exit code and pid, and ignores a noisy login shell (${shell})`, async () => {
    const nonce = newNonce();
    const noisy = `echo motd; echo motd-err >&2; ${wrapperScript({ argv: ["sh", "-c", "echo out; echo err >&2; exit 7"] }, nonce)}`;
    const r = await run(shell, noisy, "");
    const parsed = parseStderr(r.stderr, nonce);
    assert.equal(r.code, 7);
    assert.equal(parsed.exitCode, 7);
    assert.ok(parsed.pid! > 1);
    assert.equal(parsed.stderr.trim().split("\n").at(-1), "err");
    assert.equal(r.stdout.slice(r.stdout.indexOf(`${nonce}\n`) + nonce.length + 1), "out\n");
    const cd = parseStderr(
      (await run(shell, wrapperScript({ argv: ["true"], cwd: "/nonexistent" }, nonce), "")).stderr,
      nonce,
    );
    assert.deepEqual([cd.cdFailed, cd.exitCode], [true, undefined]);
  });
}

/** What a login shell runs our line with: sh-like ones, and a C shell where one is installed. */
const LOGIN_SHELLS = [...SHELLS, ...(fs.existsSync("/usr/bin/tcsh") ? ["tcsh"] : [])];

for (const shell of LOGIN_SHELLS) {
  test(`the remote line holds no newline or "!" (C shells refuse them in quotes), yet both arrive intact (${shell} login shell)`, async () => {
    const nonce = newNonce();
    const args = ["first\nsecond", "\n", "tail\n", "!x", "it's $HOME `id`"];
    const line = remoteLine(
      { argv: ["printf", "[%s]", ...args], env: { FERRY_V: "a\nb!" }, cwd: "/" },
      nonce,
    );
    assert.equal(/[\n!]/.test(line), false);
    const r = await run(shell, line, "");
    assert.equal(r.stdout.split(`${nonce}\n`)[1], args.map((a) => `[${a}]`).join(""), r.stderr);
    const script = remoteLine(
      { script: 'printf "%s|" "$FERRY_V"\n[ ! -e /nonexistent ] && echo two\necho three' },
      nonce,
    );
    assert.equal((await run(shell, script, "")).stdout.split(`${nonce}\n`)[1], "|two\nthree\n");
    // The whole read protocol through this login shell.
    const { dir, paths } = fixture();
    const end = newNonce();
    const fromStdin = remoteLine({ script: 'eval "$(cat)"' }, nonce);
    let verdicts: Awaited<ReturnType<typeof parseReadOutput>> = [];
    await run(shell, fromStdin, readScript({ paths, maxBytes: 4096, within: dir }, end), async (stdout) => {
      const chunks: Buffer[] = [];
      for await (const c of stdout) chunks.push(Buffer.from(c));
      const all = Buffer.concat(chunks);
      const rest = all.subarray(all.indexOf(`${nonce}\n`) + nonce.length + 1);
      const reader = new ByteReader(
        (async function* () {
          yield rest;
        })(),
      );
      verdicts = await parseReadOutput(reader, paths.length, end, () => undefined);
    });
    assert.deepEqual(
      verdicts.map((v) => v.status),
      [
        "ok",
        "too-large",
        "fifo",
        "outside",
        "loop",
        "ok",
        "ok",
        "outside",
        "missing",
        "directory",
        "missing",
        "missing",
        "ok",
        "outside",
      ],
    );
  });
}
