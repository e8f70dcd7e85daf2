/**
 * A tar stream writer (POSIX ustar, with pax headers for long names and huge sizes) — enough for
 * many small files in one exec: GNU tar, bsdtar and busybox tar on the remote side all read it.
 * One stream instead of a round trip per file: 1,000 × 1 KB at 20 ms RTT took 0.17 s as one tar
 * stream through an OpenSSH master and 92 s with `scp -r` (measured, bench/ssh-transfer.ts).
 */
import { createReadStream } from "node:fs";

export interface TarFile {
  /** Member name, relative (no leading slash). */
  name: string;
  mode: number;
  size: number;
  /** The bytes, or a local file to stream (its size must not change meanwhile). */
  source: Uint8Array | { file: string };
}

const BLOCK = 512;
const ZERO = Buffer.alloc(BLOCK * 2);

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function writeString(buf: Buffer, offset: number, width: number, value: string): void {
  buf.write(value, offset, Math.min(width, Buffer.byteLength(value)), "utf8");
}

function header(name: string, prefix: string, size: number, mode: number, type: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, name);
  writeString(h, 100, 8, octal(mode & 0o7777, 8));
  writeString(h, 108, 8, octal(0, 8));
  writeString(h, 116, 8, octal(0, 8));
  writeString(h, 124, 12, octal(size, 12));
  writeString(h, 136, 12, octal(Math.floor(Date.now() / 1000), 12));
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  writeString(h, 156, 1, type);
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** name/prefix split of ustar (prefix ≤ 155 bytes, name ≤ 100), or undefined when none fits. */
function ustarSplit(name: string): [string, string] | undefined {
  if (Buffer.byteLength(name) <= 100) return [name, ""];
  for (let i = name.indexOf("/"); i !== -1; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== "")
      return [rest, prefix];
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The headers of one member: a pax extended header first when ustar cannot hold it. */
export function memberHeaders(file: Pick<TarFile, "name" | "mode" | "size">): Buffer[] {
  const split = ustarSplit(file.name);
  const huge = file.size > 0o77777777777;
  if (split !== undefined && !huge) return [header(split[0], split[1], file.size, file.mode, "0")];
  let pax = "";
  if (split === undefined) pax += paxRecord("path", file.name);
  if (huge) pax += paxRecord("size", String(file.size));
  const data = Buffer.from(pax, "utf8");
  const short = `PaxHeaders/${file.name.slice(-80).replace(/^\/+/, "")}`;
  return [
    header(short.slice(0, 100), "", data.length, 0o644, "x"),
    data,
    padding(data.length),
    header(
      (split?.[0] ?? file.name.slice(-100)).slice(-100),
      split?.[1] ?? "",
      huge ? 0 : file.size,
      file.mode,
      "0",
    ),
  ];
}

async function* fileBytes(file: string, size: number): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    sent += b.length;
    if (sent > size) break;
    yield b;
  }
  if (sent !== size) throw new Error(`${file} changed size while being sent (${size} → ${sent} bytes)`);
}

/** The whole archive, member by member, ending with the two zero blocks. */
export async function* tarStream(files: Iterable<TarFile>): AsyncGenerator<Uint8Array> {
  for (const f of files) {
    for (const h of memberHeaders(f)) yield h;
    if (f.source instanceof Uint8Array) {
      if (f.source.length !== f.size) throw new Error(`tar member ${f.name}: size mismatch`);
      yield f.source;
    } else {
      yield* fileBytes(f.source.file, f.size);
    }
    const pad = padding(f.size);
    if (pad.length > 0) yield pad;
  }
  yield ZERO;
}
