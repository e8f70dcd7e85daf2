/** Our tar writer against the system's tar, and the system's tar against our reader. */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/helpers/stores.ts";
import { ByteReader } from "./byte-reader.ts";
import { readTarSection, type TarMember } from "./tar-read.ts";
import { type TarFile, tarStream } from "./tar-write.ts";

const LONG = `${"a".repeat(120)}/${"b".repeat(150)}/${"c".repeat(99)}`;
const NAMES = ["short.txt", "dir/with space/ü.json", `${"p".repeat(150)}/${"n".repeat(90)}`, LONG, "empty"];

test("GNU tar extracts what tarStream writes: long names, modes, binary and empty files", async () => {
  const dir = tempDir();
  const local = path.join(dir, "local.bin");
  const big = randomBytes(70_000);
  fs.writeFileSync(local, big);
  const files: TarFile[] = NAMES.map((name, i) => {
    const data = name === "empty" ? Buffer.alloc(0) : randomBytes(100 + i * 777);
    return { name, mode: i === 0 ? 0o755 : 0o644, size: data.length, source: data };
  });
  files.push({ name: "from-file", mode: 0o600, size: big.length, source: { file: local } });
  const out = path.join(dir, "out");
  fs.mkdirSync(out);
  const tar = spawn("tar", ["-x", "-f", "-", "-C", out], { stdio: ["pipe", "inherit", "pipe"] });
  let err = "";
  tar.stderr.on("data", (d) => {
    err += d;
  });
  for await (const chunk of tarStream(files)) tar.stdin.write(chunk);
  tar.stdin.end();
  const code = await new Promise((r) => tar.on("close", r));
  assert.equal(code, 0, err);
  for (const f of files) {
    const got = fs.readFileSync(path.join(out, f.name));
    assert.deepEqual(got, f.source instanceof Uint8Array ? f.source : big, f.name);
    assert.equal(fs.statSync(path.join(out, f.name)).mode & 0o777, f.mode & ~0o022 & 0o777);
  }
});

test("readTarSection reads GNU tar output: long names, hard links, archives back to back, the end mark", async () => {
  const dir = tempDir();
  const src = path.join(dir, "src");
  for (const n of NAMES) {
    fs.mkdirSync(path.dirname(path.join(src, n)), { recursive: true });
    fs.writeFileSync(path.join(src, n), `content of ${n}`);
  }
  fs.linkSync(path.join(src, "short.txt"), path.join(src, "hard"));
  fs.symlinkSync("short.txt", path.join(src, "soft"));
  const one = execFileSync("tar", ["-cf", "-", "-C", src, ...NAMES, "hard", "soft"]);
  const two = execFileSync("tar", ["-cf", "-", "-C", src, "short.txt"]);
  const end = "ferry-end-mark-123";
  const stream = Buffer.concat([one, two, Buffer.from(end.padEnd(512, " ")), Buffer.from("after")]);
  const seen: (TarMember & { data: string })[] = [];
  const r = new ByteReader(
    (async function* () {
      for (let i = 0; i < stream.length; i += 777) yield stream.subarray(i, i + 777);
    })(),
  );
  await readTarSection(r, end, (m) => {
    const entry = { ...m, data: "" };
    seen.push(entry);
    return (chunk) => {
      entry.data += chunk.toString("utf8");
    };
  });
  assert.equal((await r.take(5)).toString(), "after", "stops right after the end mark");
  for (const n of NAMES) assert.equal(seen.find((m) => m.name === n)?.data, `content of ${n}`, n);
  const hard = seen.find((m) => m.name === "hard");
  assert.deepEqual([hard?.type, hard?.linkname], ["1", "short.txt"]);
  assert.equal(seen.find((m) => m.name === "soft")?.type, "2");
  assert.equal(seen.filter((m) => m.name === "short.txt").length, 2, "both archives were read");
});
