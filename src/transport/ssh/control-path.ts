/**
 * Where the ControlMaster's socket lives. A unix socket path is limited to 104 bytes on macOS and
 * the BSDs (108 on Linux), and ssh binds the socket under the path plus a 17-character random
 * suffix before renaming it into place (mux.c, muxserver_listen), so the path itself must stay
 * within 86 bytes. The name is a hash of everything that makes two connections different, so a
 * restarted runner (or a CLI command beside it) finds and reuses the master that is already up —
 * and its one-time code — instead of logging in again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResolvedSshOptions } from "./options.ts";

const MAX_PATH = 104 - 17 - 1;
/** ssh expands %-tokens and splits on spaces in ControlPath: keep to characters that mean nothing. */
const PLAIN = /^[A-Za-z0-9._/-]+$/;

export function connectionKey(o: ResolvedSshOptions): string {
  const parts = [o.destination, o.configFile ?? "", o.knownHostsFile ?? "", ...o.extraOptions];
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 16);
}

/** A private folder: ours, a real directory (not a link), nobody else may enter it. */
function privateDir(dir: string): boolean {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) return false;
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return true;
}

/** The socket path for this connection, in `stateDir/ssh/` or, if that is too long, in /tmp. */
export function controlPathFor(o: ResolvedSshOptions): string {
  const name = `${connectionKey(o)}.sock`;
  const preferred = path.join(path.resolve(o.stateDir), "ssh");
  const candidate = path.join(preferred, name);
  if (Buffer.byteLength(candidate) <= MAX_PATH && PLAIN.test(candidate)) {
    fs.mkdirSync(path.resolve(o.stateDir), { recursive: true, mode: 0o700 });
    if (privateDir(preferred)) return candidate;
  }
  // /tmp, not os.tmpdir(): TMPDIR is often a long per-user path (macOS: /var/folders/…).
  const shared = `/tmp/ferry-${process.getuid?.() ?? "user"}`;
  if (privateDir(shared)) return path.join(shared, name);
  // Someone else owns that name: a fresh private folder still works, without reuse across runs.
  return path.join(fs.mkdtempSync("/tmp/ferry-"), name);
}
