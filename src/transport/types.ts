/**
 * A transport is a handful of primitives (jobflow-remote's BaseHost, reference/jobflow-remote.md
 * §3.6): everything above it — bundle writing, result collection, scheduler calls — is
 * transport-agnostic. Commands are argv arrays, never shell strings: a transport that needs a
 * shell line (SSH) quotes each argument itself (transport/quote.ts).
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

export interface Transport extends AsyncDisposable {
  readonly kind: "local" | "ssh";
  exec(spec: CommandSpec): Promise<CommandOutput>;
  /** Read a whole file; resolves null when the file does not exist. */
  read(path: string): Promise<string | null>;
  /** Write through a temporary name in the same directory, then rename: readers never see half a file. */
  writeAtomic(
    path: string,
    content: string | Uint8Array,
    options?: { mode?: number; durable?: boolean },
  ): Promise<void>;
  /** Copy a local file to the target (for the local transport: a plain copy). */
  put(localPath: string, remotePath: string): Promise<void>;
  /** Copy a target file to a local path. */
  get(remotePath: string, localPath: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(path: string): Promise<DirEntry[] | null>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  close(): Promise<void>;
}
