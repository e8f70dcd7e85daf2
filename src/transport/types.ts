/**
 * A transport is a handful of primitives (jobflow-remote's BaseHost, `remote/host/base.py`):
 * everything above it — bundle writing, result collection, scheduler calls, process checks — is
 * transport-agnostic, so the same engine code runs against this machine (LocalTransport) or a
 * cluster's login node over SSH. Commands are argv arrays, never shell strings: a transport that
 * needs a shell line (SSH) quotes each argument itself (transport/quote.ts).
 *
 * Launch directories are untrusted input (a compute node, a user or a broken filesystem writes
 * them): `read` refuses anything but a regular file, bounds the size, and with `within` refuses a
 * path that resolves (through symlinks) outside that folder — a FIFO, a link to /dev/zero or a
 * 100 GB file must never hang or exhaust the login side.
 */

export interface CommandSpec {
  argv: readonly string[];
  /** Working directory on the target. */
  cwd?: string;
  /** Text written to the command's stdin (LSF's bsub reads the script from stdin). */
  stdin?: string;
  /** Extra environment variables. */
  env?: Readonly<Record<string, string>>;
  /** Give up after this many milliseconds (the command is killed). Default 60 s. */
  timeoutMs?: number;
}

export interface CommandOutput {
  /** null when the command was killed by a signal or timed out. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

/** Default bound of `read`: protocol files are tiny; task outputs may be large but not unbounded. */
export const DEFAULT_READ_LIMIT = 64 * 1024 * 1024;

export interface ReadOptions {
  /** Refuse a file larger than this many bytes (TransportError, not retryable). Default 64 MiB. */
  maxBytes?: number;
  /** Refuse a path whose real location is not inside this folder (symlinks followed). */
  within?: string;
}

/** Why a read was refused: the caller reports it as that run's problem, never as a verdict. */
export type ReadRefusal = "not-a-file" | "too-large" | "outside" | "unreadable";

export interface Transport extends AsyncDisposable {
  readonly kind: "local" | "ssh";
  /** A name for the machine the transport reaches (hostname; the ssh destination). */
  readonly host: string;
  exec(spec: CommandSpec): Promise<CommandOutput>;
  /**
   * Read a whole regular file as UTF-8; resolves null when it does not exist. Throws
   * TransportError with `refusal` set when the path is not a regular file (FIFO, device,
   * directory), is larger than `maxBytes`, or leaves `within`. Never blocks on a FIFO.
   */
  read(path: string, options?: ReadOptions): Promise<string | null>;
  /**
   * Read many files at once (one round trip over SSH). Each entry: the text, null when missing,
   * or the Error that reading it raised (one bad file never fails the others).
   */
  readMany(paths: readonly string[], options?: ReadOptions): Promise<Map<string, string | null | Error>>;
  /** Write through a temporary name in the same directory, then rename: readers never see half a file. */
  writeAtomic(
    path: string,
    content: string | Uint8Array,
    options?: { mode?: number; durable?: boolean },
  ): Promise<void>;
  /**
   * Write many files at once (one tar stream over SSH), each atomically; parent folders are
   * created. Files are written in order, so a marker written last means the others are there.
   */
  writeMany(files: readonly { path: string; content: string | Uint8Array; mode?: number }[]): Promise<void>;
  /** Copy a local file to the target (for the local transport: a plain copy). */
  put(localPath: string, remotePath: string): Promise<void>;
  /** Copy a target file to a local path. */
  get(remotePath: string, localPath: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(path: string): Promise<DirEntry[] | null>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /**
   * Is `pid` alive on the target, and (when `commandIncludes` is given) does its command line
   * hold that word? PIDs wrap within minutes (pid_max 32768), so a bare pid proves nothing.
   */
  processAlive(pid: number, commandIncludes?: string): Promise<boolean>;
  /** Send a signal to a process (or, with a negative pid, a process group); false if it is gone. */
  signal(pid: number, signal: NodeJS.Signals): Promise<boolean>;
  close(): Promise<void>;
}
