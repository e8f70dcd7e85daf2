/**
 * The SSH transport: the Transport primitives on a remote host through the system OpenSSH client
 * and one ControlMaster per destination (master.ts). Commands are quoted into one line
 * (remote-line.ts); many files travel in one tar stream each way (file-ops.ts). ssh's own
 * failures throw SshTransportError (errors.ts: reason, outcome); a remote command's failure is
 * its exit code, as with the local transport.
 *
 *   await using t = new SshTransport({ destination: "cluster", stateDir, prompt: terminalPrompt() });
 *   await t.connect();                  // optional: log in now (the prompt, if any, comes here)
 *   const out = await t.exec({ argv: ["sbatch", "--parsable", "run.sh"], cwd });
 *
 * Differences from LocalTransport: writeMany keeps the order within each folder and puts the
 * batch's last file in place last (write-script.ts renameRuns), not every file in strict order;
 * writeAtomic's `durable` is not applied (no remote fsync); relative paths are relative to the
 * login folder. The remote side needs a POSIX sh, tar (GNU or busybox), find, mv and ps.
 */
import * as fs from "node:fs";
import { TransportError } from "../../model/errors.ts";
import type { CommandOutput, CommandSpec, DirEntry, ReadOptions, Transport } from "../types.ts";
import { CommandRunner } from "./command.ts";
import { controlPathFor } from "./control-path.ts";
import { downloadFiles, readFiles, uploadFiles } from "./file-ops.ts";
import { Master } from "./master.ts";
import { type ResolvedSshOptions, resolveSshOptions, type SshTransportOptions } from "./options.ts";
import {
  listRemote,
  mkdirRemote,
  processAliveRemote,
  removeRemote,
  renameRemote,
  scriptRunner,
  signalRemote,
} from "./path-ops.ts";
import { type SessionLimit, sessionLimitFor } from "./sessions.ts";

export class SshTransport implements Transport {
  readonly kind = "ssh" as const;
  readonly host: string;
  readonly options: ResolvedSshOptions;
  readonly #master: Master;
  readonly #runner: CommandRunner;
  readonly #sessions: SessionLimit;
  readonly #scripts: ReturnType<typeof scriptRunner>;
  #closed = false;
  #home: Promise<string> | undefined;

  constructor(options: SshTransportOptions) {
    this.options = resolveSshOptions(options);
    this.host = this.options.destination;
    this.#master = new Master(this.options, controlPathFor(this.options));
    this.#sessions = sessionLimitFor(this.#master.controlPath, this.options.maxSessions);
    this.#runner = new CommandRunner(this.options, this.#master, this.#sessions);
    this.#scripts = scriptRunner(this.#runner, this.options.commandTimeoutMs);
  }

  /** The ControlMaster's socket (tests check that close() leaves nothing behind). */
  get controlPath(): string {
    return this.#master.controlPath;
  }

  /** How many prompts were answered by the prompt function so far. */
  get prompts(): number {
    return this.#master.prompts;
  }

  /** Log in now rather than at the first command (so a prompt comes when the user expects it). */
  async connect(): Promise<void> {
    this.#open();
    await this.#master.ensure();
  }

  /** Is the connection up right now (`ssh -O check`)? */
  async healthy(): Promise<boolean> {
    return this.#master.check();
  }

  #open(): void {
    if (this.#closed)
      throw new TransportError(`the ssh transport to ${this.host} is closed`, { retryable: false });
  }

  async exec(spec: CommandSpec): Promise<CommandOutput> {
    this.#open();
    if (spec.argv.length === 0) throw new TransportError("empty command", { retryable: false });
    const r = await this.#runner.run(
      { argv: spec.argv, cwd: spec.cwd, env: spec.env },
      {
        stdin: spec.stdin,
        timeoutMs: spec.timeoutMs ?? this.options.commandTimeoutMs,
        what: `\`${spec.argv.slice(0, 3).join(" ")}${spec.argv.length > 3 ? " …" : ""}\``,
      },
    );
    return { exitCode: r.exitCode, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
  }

  async read(file: string, options: ReadOptions = {}): Promise<string | null> {
    const got = (await this.readMany([file], options)).get(file);
    if (got instanceof Error) throw got;
    return got ?? null;
  }

  async readMany(
    files: readonly string[],
    options: ReadOptions = {},
  ): Promise<Map<string, string | null | Error>> {
    this.#open();
    return readFiles(this.#runner, files, options, this.options.transferTimeoutMs);
  }

  async writeAtomic(
    file: string,
    content: string | Uint8Array,
    options: { mode?: number } = {},
  ): Promise<void> {
    await this.writeMany([
      { path: file, content, ...(options.mode === undefined ? {} : { mode: options.mode }) },
    ]);
  }

  async writeMany(
    files: readonly { path: string; content: string | Uint8Array; mode?: number }[],
  ): Promise<void> {
    this.#open();
    const items = await Promise.all(
      files.map(async (f) => {
        const bytes = typeof f.content === "string" ? Buffer.from(f.content, "utf8") : f.content;
        return {
          path: await this.#absolute(f.path),
          mode: f.mode ?? 0o644,
          size: bytes.length,
          source: bytes,
        };
      }),
    );
    await uploadFiles(this.#runner, items, this.options.transferTimeoutMs);
  }

  async put(localPath: string, remotePath: string): Promise<void> {
    await this.putMany([{ local: localPath, remote: remotePath }]);
  }

  /** Copy many local files up in one tar stream, each renamed into place when complete. */
  async putMany(pairs: readonly { local: string; remote: string }[]): Promise<void> {
    this.#open();
    const items = await Promise.all(
      pairs.map(async (p) => {
        const st = fs.statSync(p.local);
        if (!st.isFile())
          throw new TransportError(`${p.local} is not a regular file`, { path: p.local, retryable: false });
        return {
          path: await this.#absolute(p.remote),
          mode: st.mode & 0o777,
          size: st.size,
          source: { file: p.local },
        };
      }),
    );
    await uploadFiles(this.#runner, items, this.options.transferTimeoutMs);
  }

  async get(remotePath: string, localPath: string): Promise<void> {
    await this.getMany([{ remote: remotePath, local: localPath }]);
  }

  /** Copy many remote files down in one tar stream; each local file appears complete or not at all. */
  async getMany(pairs: readonly { remote: string; local: string }[]): Promise<void> {
    this.#open();
    await downloadFiles(this.#runner, pairs, this.options.transferTimeoutMs);
  }

  async mkdir(dir: string): Promise<void> {
    this.#open();
    await mkdirRemote(this.#scripts, dir);
  }

  async list(dir: string): Promise<DirEntry[] | null> {
    this.#open();
    return listRemote(this.#scripts, dir);
  }

  async remove(target: string, options: { recursive?: boolean } = {}): Promise<void> {
    this.#open();
    await removeRemote(this.#scripts, target, options.recursive ?? false);
  }

  async rename(from: string, to: string): Promise<void> {
    this.#open();
    await renameRemote(this.#scripts, from, to);
  }

  async processAlive(pid: number, commandIncludes?: string): Promise<boolean> {
    this.#open();
    return processAliveRemote(this.#scripts, pid, commandIncludes);
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    this.#open();
    return signalRemote(this.#scripts, pid, signal);
  }

  /** Relative paths are relative to the login folder, as with scp and sftp. */
  async #absolute(p: string): Promise<string> {
    if (p.startsWith("/")) return p;
    this.#home ??= this.exec({ argv: ["sh", "-c", 'printf %s "$PWD"'] }).then((r) => {
      if (r.exitCode !== 0 || !r.stdout.startsWith("/"))
        throw new TransportError(`cannot find the login folder on ${this.host}`);
      return r.stdout;
    });
    this.#home.catch(() => {
      this.#home = undefined;
    });
    return `${(await this.#home).replace(/\/$/, "")}/${p}`;
  }

  /** Ends the master (if this transport started it); commands still running are cut off. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#master.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
