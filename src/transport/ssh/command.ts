/**
 * One remote command over the master, and the verdict on how it ended (remote-line.ts):
 *
 * - the wrapper's trailer came back: the command ran to its end; its exit code is the answer,
 *   whatever ssh's own status (a connection lost just after still counts as done);
 * - the client found no master, or the server refused the session: nothing ran, so the master is
 *   restarted (or the session retried) and the command sent again, transparently;
 * - our timeout: the remote process group is killed and exitCode is null, as locally;
 * - anything else (the connection dropped, the master died mid-command): SshTransportError with
 *   outcome "unknown" — the caller must find out (e.g. look the job up by name) before rerunning.
 */
import { TransportError } from "../../model/errors.ts";
import { clientNotRun, sshComplaint } from "./classify.ts";
import { SshTransportError } from "./errors.ts";
import type { Master } from "./master.ts";
import type { ResolvedSshOptions } from "./options.ts";
import { newNonce, parseStderr, type RemoteCommand, remoteLine } from "./remote-line.ts";
import type { SessionLimit } from "./sessions.ts";
import { runSsh, type StdinSource } from "./spawn.ts";
import { clientArgs } from "./ssh-args.ts";

export interface RunOptions {
  stdin?: StdinSource | undefined;
  /** Reads stdout as it arrives; called again if the command has to be sent again. */
  consume?: ((stdout: AsyncIterable<Uint8Array>) => Promise<void>) | undefined;
  timeoutMs: number;
  /** What ran, for messages (never includes stdin). */
  what: string;
}

export interface RunResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_NOT_RUN_RETRIES = 8;

export class CommandRunner {
  readonly #o: ResolvedSshOptions;
  readonly #master: Master;
  readonly #sessions: SessionLimit;

  constructor(o: ResolvedSshOptions, master: Master, sessions: SessionLimit) {
    this.#o = o;
    this.#master = master;
    this.#sessions = sessions;
  }

  async run(cmd: RemoteCommand | { script: string }, opts: RunOptions): Promise<RunResult> {
    const host = this.#o.destination;
    for (let attempt = 0; ; attempt++) {
      await this.#master.ensure();
      const nonce = newNonce();
      const release = await this.#sessions.acquire();
      let r: Awaited<ReturnType<typeof runSsh>>;
      let activeAtEnd = 0;
      try {
        r = await runSsh({
          argv: [this.#o.ssh, ...clientArgs(this.#o, this.#master.controlPath, remoteLine(cmd, nonce))],
          stdin: opts.stdin,
          stdoutMark: nonce,
          consume: opts.consume,
          timeoutMs: opts.timeoutMs,
        });
        activeAtEnd = this.#sessions.active;
      } finally {
        release();
      }
      if (r.spawnError) {
        throw new TransportError(`cannot run ${this.#o.ssh}: ${r.spawnError.message}`, { retryable: false });
      }
      const parsed = parseStderr(r.stderr, nonce);
      if (parsed.exitCode !== undefined) {
        if (r.localError !== undefined) {
          throw new TransportError(`${opts.what} on ${host}: ${errorText(r.localError)}`, {
            cause: r.localError,
          });
        }
        return { exitCode: parsed.exitCode, stdout: r.stdout, stderr: parsed.stderr };
      }
      if (parsed.cdFailed) {
        throw new TransportError(`${opts.what}: cannot enter its working directory on ${host}`, {
          retryable: false,
        });
      }
      if (r.timedOut) {
        if (parsed.pid !== undefined) await this.#killRemote(parsed.pid);
        const note = `(ferry: killed after ${opts.timeoutMs} ms)`;
        return {
          exitCode: null,
          stdout: r.stdout,
          stderr: parsed.stderr === "" ? note : `${parsed.stderr}\n${note}`,
        };
      }
      const notRun = parsed.pid === undefined ? clientNotRun(r.stderr) : undefined;
      if (notRun !== undefined && attempt < MAX_NOT_RUN_RETRIES) {
        if (notRun === "no-master") {
          this.#master.markLost();
        } else {
          this.#sessions.shrink(activeAtEnd);
          await sleep(Math.min(1000, 50 * 2 ** attempt));
        }
        continue;
      }
      if (notRun !== undefined) {
        throw new SshTransportError(`ssh: ${opts.what} was not run on ${host}: ${sshComplaint(r.stderr)}`, {
          reason: "dropped",
          outcome: "not-run",
          host,
        });
      }
      if (parsed.pid === undefined && r.status !== 255 && r.status !== null) {
        // The login shell ended on its own before our line ran (an `exit` in ~/.bashrc, say).
        throw new SshTransportError(
          `ssh: the login shell on ${host} exited with ${r.status} before ${opts.what} started: ${sshComplaint(parsed.stderr)} (check the shell's startup files there)`,
          { reason: "dropped", outcome: "not-run", host },
        );
      }
      if (!(await this.#master.check().catch(() => false))) this.#master.markLost();
      throw new SshTransportError(
        `ssh: the connection to ${host} was lost while ${opts.what} ran; it may or may not have taken effect (${sshComplaint(parsed.stderr)})`,
        { reason: "dropped", outcome: "unknown", host },
      );
    }
  }

  /** End a timed-out command's whole process group on the remote side (best effort). */
  async #killRemote(pid: number): Promise<void> {
    // `kill -s SIG -- -pgid`: the one spelling dash and bash both take for a process group.
    const script = `pg=$(ps -o pgid= -p ${pid} 2>/dev/null | tr -d ' '); if [ -n "$pg" ] && [ "$pg" != 0 ]; then kill -s TERM -- "-$pg" 2>/dev/null || kill -s TERM -- ${pid}; fi; true`;
    await this.run({ script }, { timeoutMs: 10_000, what: "kill" }).catch(() => {});
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
