/**
 * Reading the tar streams a remote `tar -cf -` writes (GNU tar, bsdtar, busybox): ustar names
 * with prefixes, pax extended headers (bsdtar's long names), GNU long names ('L'/'K'), hard links,
 * and several archives back to back (`find -exec tar -cf - {} +` may run tar more than once).
 * The section ends at a 512-byte block that starts with the caller's end mark.
 */
import type { ByteReader } from "./byte-reader.ts";

const BLOCK = 512;

export interface TarMember {
  /** The member's name without leading slashes. */
  name: string;
  /** '0' regular file, '1' hard link, '2' symlink, '5' directory, '6' FIFO, ... */
  type: string;
  size: number;
  linkname: string;
}

/** What to do with a member's bytes: called with each piece; the bytes are skipped when absent. */
export type MemberSink = ((chunk: Buffer) => void | Promise<void>) | undefined;

function cString(b: Buffer, start: number, width: number): string {
  const end = b.indexOf(0, start);
  return b.toString("utf8", start, end === -1 || end > start + width ? start + width : end);
}

function numeric(b: Buffer, start: number, width: number): number {
  if ((b[start]! & 0x80) !== 0) {
    // GNU base-256 for sizes of 8 GiB and more
    let v = 0;
    for (let i = start + 1; i < start + width; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = cString(b, start, width).trim();
  return s === "" ? 0 : Number.parseInt(s, 8);
}

function checksumOk(b: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return numeric(b, 148, 8) === sum;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number(data.toString("ascii", at, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = data.toString("utf8", space + 1, at + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}

async function skipPadded(r: ByteReader, size: number, sink: MemberSink): Promise<void> {
  const padded = Math.ceil(size / BLOCK) * BLOCK;
  if (!(await r.pipe(size, sink ?? (() => {})))) throw new Error("tar stream ended inside a member");
  if (padded > size) await r.take(padded - size);
}

/** Read members until the end block; `onMember` says where each member's bytes go. */
export async function readTarSection(
  r: ByteReader,
  endMark: string,
  onMember: (m: TarMember) => MemberSink,
): Promise<void> {
  const mark = Buffer.from(endMark, "utf8");
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  for (;;) {
    const b = await r.take(BLOCK);
    if (b.length < BLOCK) throw new Error("tar stream ended without its end mark");
    if (b.subarray(0, mark.length).equals(mark)) return;
    if (b.every((x) => x === 0)) continue; // the end of one archive; another may follow
    if (!checksumOk(b)) throw new Error("corrupt tar header in the remote stream");
    const type = String.fromCharCode(b[156] || 0x30);
    let size = numeric(b, 124, 12);
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      const data = await r.take(Math.ceil(size / BLOCK) * BLOCK);
      if (type === "x") pax = parsePax(data.subarray(0, size));
      if (type === "L") longName = cString(data, 0, size);
      if (type === "K") longLink = cString(data, 0, size);
      continue;
    }
    const prefix = b.toString("ascii", 257, 262) === "ustar" ? cString(b, 345, 155) : "";
    const base = cString(b, 0, 100);
    const name = pax.get("path") ?? longName ?? (prefix === "" ? base : `${prefix}/${base}`);
    const linkname = pax.get("linkpath") ?? longLink ?? cString(b, 157, 100);
    if (pax.has("size")) size = Number(pax.get("size"));
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    const member: TarMember = { name: name.replace(/^\/+/, ""), type, size, linkname };
    const sink = onMember(member);
    // Only regular files carry data to hand on; anything else is skipped by its declared size.
    await skipPadded(r, size, type === "0" || type === "7" ? sink : undefined);
  }
}
