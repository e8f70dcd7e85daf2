/** The local transport: the filesystem and processes of this machine. */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import { hostname } from "node:os";
import * as path from "node:path";
import { TransportError } from "../model/errors.ts";
import {
  type CommandOutput,
  type CommandSpec,
  DEFAULT_READ_LIMIT,
  type DirEntry,
  type ReadOptions,
  type Transport,
} from "./types.ts";

const DEFAULT_TIMEOUT_MS = 60_000;

export function execLocal(spec: CommandSpec): Promise<CommandOutput> {
  const [file, ...args] = spec.argv;
  if (file === undefined) return Promise.reject(new TransportError("empty command"));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env ? { ...process.env, ...spec.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, spec.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new TransportError(`cannot run ${file}: ${e.message}`, { cause: e, retryable: false }));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({
        exitCode: timedOut ? null : code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: timedOut
          ? `${stderr}\n(ferry: killed after ${spec.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)`
          : stderr,
      });
    });
    child.stdin.on("error", () => {}); // the command may exit before reading its stdin
    child.stdin.end(spec.stdin ?? "");
  });
}

/**
 * A temporary name beside `file`, unique across processes and hosts sharing the folder: a random
 * prefix drawn once per process, then a counter (a `randomBytes` call per file was 3 % of a
 * supervised no-op job's launcher time).
 */
let tmpPrefix: string | undefined;
let tmpCounter = 0;
function tempBeside(file: string): string {
  tmpPrefix ??= randomBytes(6).toString("hex");
  tmpCounter++;
  return path.join(path.dirname(file), `.${path.basename(file)}.${tmpPrefix}${tmpCounter.toString(36)}.tmp`);
}

/**
 * Write a file atomically: temporary name in the same directory, then rename, so a reader sees
 * the old file or the new one, never half of one. `durable` adds an fsync before the rename
 * (0.8 ms here); bundle files skip it — a machine crash loses the run anyway.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const tmp = tempBeside(file);
  const handle = await fs.open(tmp, "w", options.mode ?? 0o644);
  try {
    await handle.writeFile(content);
    if (options.durable) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export async function readFileOrNull(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function refuse(file: string, refusal: NonNullable<TransportError["refusal"]>, why: string): never {
  throw new TransportError(`${file}: ${why}`, { path: file, refusal, retryable: false });
}

function isInside(real: string, root: string): boolean {
  const rel = path.relative(root, real);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Real paths through libc's realpath(3): Node's own `realpathSync` lstat()s every component from
 * JavaScript, 2.7× slower here (5.4 against 2.0 µs for a launch folder's file; a finished job's
 * files are read through it, 8 per job).
 */
const realpath = fsSync.realpathSync.native;

/** The real path of a `within` folder (or the folder as given when it does not exist). */
function realRoot(within: string): string {
  try {
    return realpath(within);
  } catch {
    return path.resolve(within);
  }
}

/**
 * Read an untrusted file (transport/types.ts): only a regular file, at most `maxBytes`, and with
 * `within` only when its real path stays inside that folder. Opened O_NONBLOCK so a FIFO never
 * blocks the open, then checked with fstat on the open descriptor (no race with a swap after a
 * stat); the read itself stops at the bound even if the file grows meanwhile.
 */
export function readBoundedSync(
  file: string,
  options: ReadOptions = {},
  root: string | undefined = options.within === undefined ? undefined : realRoot(options.within),
): string | null {
  const max = options.maxBytes ?? DEFAULT_READ_LIMIT;
  let real: string;
  try {
    real = realpath(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ELOOP") refuse(file, "not-a-file", "a symbolic link loop");
    if (code === "ENOTDIR") return null;
    refuse(file, "unreadable", (e as Error).message);
  }
  if (options.within !== undefined && root !== undefined && !isInside(real, root))
    refuse(file, "outside", `points outside ${options.within} (to ${real})`);
  let fd: number;
  try {
    fd = fsSync.openSync(real, fsSync.constants.O_RDONLY | fsSync.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    refuse(file, "unreadable", (e as Error).message);
  }
  try {
    const st = fsSync.fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory()
        ? "a directory"
        : st.isFIFO()
          ? "a FIFO"
          : st.isCharacterDevice() || st.isBlockDevice()
            ? "a device"
            : st.isSocket()
              ? "a socket"
              : "not a regular file";
      refuse(file, "not-a-file", `is ${kind}, not a regular file`);
    }
    if (st.size > max) refuse(file, "too-large", `is ${st.size} bytes (more than the ${max} allowed)`);
    const buf = Buffer.allocUnsafe(Math.min(max + 1, Math.max(st.size + 1, 4096)));
    let n = 0;
    for (;;) {
      if (n === buf.length) break;
      const got = fsSync.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > max) refuse(file, "too-large", `grew past the ${max} bytes allowed while being read`);
    return buf.toString("utf8", 0, n);
  } finally {
    fsSync.closeSync(fd);
  }
}

/** Is `pid` alive here, and (optionally) does its command line hold `word`? */
export function localProcessAlive(pid: number, word?: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const status = fsSync.readFileSync(`/proc/${pid}/status`, "utf8");
    if (/^State:\s*Z/m.test(status)) return false; // a zombie waiting to be reaped is gone
  } catch {
    // no /proc (macOS): fall through to ps
  }
  if (word === undefined) return true;
  try {
    return fsSync
      .readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .some((a) => a.includes(word));
  } catch {
    const ps = spawnSyncPs(pid);
    return ps?.includes(word) === true;
  }
}

function spawnSyncPs(pid: number): string | null {
  const r = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : null;
}

/**
 * The local transport. File primitives use synchronous calls on purpose: the files are small and
 * local, and a synchronous open/write/rename takes microseconds where each promise-based call
 * waits for a thread-pool round trip (measured: writing a bundle went from 7 ms to under 1 ms).
 */
export class LocalTransport implements Transport {
  readonly kind = "local" as const;
  readonly host = hostname();

  exec(spec: CommandSpec): Promise<CommandOutput> {
    return execLocal(spec);
  }
  async read(file: string, options?: ReadOptions): Promise<string | null> {
    return readBoundedSync(file, options);
  }
  async readMany(
    files: readonly string[],
    options?: ReadOptions,
  ): Promise<Map<string, string | null | Error>> {
    const out = new Map<string, string | null | Error>();
    // one realpath of the folder for the whole batch (7 files per run in a recover of 10,000 runs)
    const root = options?.within === undefined ? undefined : realRoot(options.within);
    for (const f of files) {
      try {
        out.set(f, readBoundedSync(f, options, root));
      } catch (e) {
        out.set(f, e instanceof Error ? e : new Error(String(e)));
      }
    }
    return out;
  }
  async writeAtomic(
    file: string,
    content: string | Uint8Array,
    options: { mode?: number; durable?: boolean } = {},
  ): Promise<void> {
    if (options.durable) return writeFileAtomic(file, content, options);
    const tmp = tempBeside(file);
    fsSync.writeFileSync(tmp, content, { mode: options.mode ?? 0o644 });
    try {
      fsSync.renameSync(tmp, file);
    } catch (e) {
      fsSync.rmSync(tmp, { force: true });
      throw e;
    }
  }
  async writeMany(
    files: readonly { path: string; content: string | Uint8Array; mode?: number }[],
  ): Promise<void> {
    for (const f of files) {
      fsSync.mkdirSync(path.dirname(f.path), { recursive: true });
      await this.writeAtomic(f.path, f.content, f.mode === undefined ? {} : { mode: f.mode });
    }
  }
  async put(localPath: string, remotePath: string): Promise<void> {
    await fs.copyFile(localPath, remotePath);
  }
  async get(remotePath: string, localPath: string): Promise<void> {
    await fs.copyFile(remotePath, localPath);
  }
  async mkdir(dir: string): Promise<void> {
    fsSync.mkdirSync(dir, { recursive: true });
  }
  async list(dir: string): Promise<DirEntry[] | null> {
    try {
      const entries = fsSync.readdirSync(dir, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }
  async remove(target: string, options: { recursive?: boolean } = {}): Promise<void> {
    fsSync.rmSync(target, { force: true, recursive: options.recursive ?? false });
  }
  async rename(from: string, to: string): Promise<void> {
    fsSync.renameSync(from, to);
  }
  async processAlive(pid: number, commandIncludes?: string): Promise<boolean> {
    return localProcessAlive(pid, commandIncludes);
  }
  async signal(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    if (!Number.isSafeInteger(pid) || pid === 0 || pid === 1 || pid === -1) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
