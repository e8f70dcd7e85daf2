/**
 * A transport that holds back folder creations and file writes until `flush()`, then sends them
 * together: one `mkdir -p` for every folder and one writeMany (one tar stream over SSH) for every
 * file. Staging 200 bundles over SSH took ~8 round trips per bundle one by one (measured with
 * bench/runner.ts: 11 sessions per job in all); batched, a bundle costs one listing (is there an
 * earlier run's folder to set aside?) and the whole batch two more.
 *
 * Reads, listings, renames and commands go straight through — after a flush, so they see what
 * was written before them. Files of one folder keep their order, and the batch's last file is put
 * in place last (Transport.writeMany), so a bundle's run.sh, written last, still means "complete".
 * Nothing is on the target before `flush()` resolves: a caller hands nothing to a scheduler
 * before that.
 */
import type { CommandOutput, CommandSpec, DirEntry, ReadOptions, Transport } from "./types.ts";

type Pending = { path: string; content: string | Uint8Array; mode?: number };

/** Folders per `mkdir -p` (well within ARG_MAX for paths of a few hundred bytes). */
const MKDIR_CHUNK = 500;

export class BatchingTransport implements Transport {
  readonly kind: Transport["kind"];
  readonly host: string;
  readonly inner: Transport;
  #dirs: string[] = [];
  #files: Pending[] = [];

  constructor(inner: Transport) {
    this.inner = inner;
    this.kind = inner.kind;
    this.host = inner.host;
  }

  /** Files and folders waiting for `flush()`. */
  get pending(): number {
    return this.#dirs.length + this.#files.length;
  }

  async flush(): Promise<void> {
    const dirs = [...new Set(this.#dirs)];
    const files = this.#files;
    this.#dirs = [];
    this.#files = [];
    for (let i = 0; i < dirs.length; i += MKDIR_CHUNK) {
      const out = await this.inner.exec({ argv: ["mkdir", "-p", "--", ...dirs.slice(i, i + MKDIR_CHUNK)] });
      if (out.exitCode !== 0) throw new Error(`cannot create the launch folders: ${out.stderr.trim()}`);
    }
    if (files.length > 0) await this.inner.writeMany(files);
  }

  /** Forget what was not flushed (the caller gave the batch up). */
  discard(): void {
    this.#dirs = [];
    this.#files = [];
  }

  async mkdir(path: string): Promise<void> {
    this.#dirs.push(path);
  }

  async writeAtomic(
    path: string,
    content: string | Uint8Array,
    options: { mode?: number } = {},
  ): Promise<void> {
    this.#files.push({ path, content, ...(options.mode === undefined ? {} : { mode: options.mode }) });
  }

  async writeMany(files: readonly Pending[]): Promise<void> {
    this.#files.push(...files);
  }

  async exec(spec: CommandSpec): Promise<CommandOutput> {
    await this.flush();
    return this.inner.exec(spec);
  }

  async read(path: string, options?: ReadOptions): Promise<string | null> {
    await this.flush();
    return this.inner.read(path, options);
  }

  async readMany(
    paths: readonly string[],
    options?: ReadOptions,
  ): Promise<Map<string, string | null | Error>> {
    await this.flush();
    return this.inner.readMany(paths, options);
  }

  async put(localPath: string, remotePath: string): Promise<void> {
    await this.flush();
    await this.inner.put(localPath, remotePath);
  }

  async get(remotePath: string, localPath: string): Promise<void> {
    await this.flush();
    await this.inner.get(remotePath, localPath);
  }

  /** Listed as it is on the target; flushed first only when something pending lies inside it. */
  async list(path: string): Promise<DirEntry[] | null> {
    const inside = (p: string) => p === path || p.startsWith(path.endsWith("/") ? path : `${path}/`);
    if (this.#dirs.some(inside) || this.#files.some((f) => inside(f.path))) await this.flush();
    return this.inner.list(path);
  }

  async remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    await this.flush();
    await this.inner.remove(path, options);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.flush();
    await this.inner.rename(from, to);
  }

  processAlive(pid: number, commandIncludes?: string): Promise<boolean> {
    return this.inner.processAlive(pid, commandIncludes);
  }

  signal(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    return this.inner.signal(pid, signal);
  }

  /** Does not close the inner transport (it belongs to the caller). */
  async close(): Promise<void> {
    this.discard();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
