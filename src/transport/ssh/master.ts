/**
 * The one ferry-owned connection per host: an OpenSSH ControlMaster. Every command runs as a
 * session multiplexed over it (9 ms per command on loopback including the spawn, measured), so a
 * login — and its one-time code — happens once per connection, not once per command.
 *
 * Starting is single-flight and rate-limited (one new connection per minReconnectIntervalMs):
 * however many commands find the master gone at once, one login is attempted. A master left by an
 * earlier process at the same ControlPath (same destination and options) is reused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AskpassRelay } from "./askpass.ts";
import { isHostKeyQuestion, loginFailureReason, parseHostKeyProblem, sshComplaint } from "./classify.ts";
import { type HostKeyProblem, SshTransportError } from "./errors.ts";
import { describeHostKey, probeFingerprint } from "./host-key.ts";
import type { ResolvedSshOptions } from "./options.ts";
import { runSsh } from "./spawn.ts";
import { controlArgs, diagnosisArgs, masterArgs } from "./ssh-args.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Master {
  readonly #o: ResolvedSshOptions;
  readonly controlPath: string;
  #up = false;
  #starting: Promise<void> | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  /** Started by us (then close() ends it) rather than found running. */
  #owned = false;
  #pid: number | undefined;
  /** The last check found a socket file that nobody answers on. */
  #stale = false;
  /** Prompts answered by the caller's prompt function (never the answers). */
  prompts = 0;

  constructor(o: ResolvedSshOptions, controlPath: string) {
    this.#o = o;
    this.controlPath = controlPath;
  }

  get up(): boolean {
    return this.#up;
  }

  /** Resolves when a master is up; throws SshTransportError (outcome not-run) when login fails. */
  ensure(): Promise<void> {
    if (this.#up) return Promise.resolve();
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** The command clients found no master: the next ensure() logs in again. */
  markLost(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#o.onEvent({ type: "master:lost", host: this.#o.destination });
  }

  /** `ssh -O check`: is the master at our ControlPath alive? */
  async check(): Promise<boolean> {
    const r = await runSsh({
      argv: [this.#o.ssh, ...controlArgs(this.#o, this.controlPath, "check")],
      timeoutMs: 10_000,
    });
    const pid = r.stderr.match(/pid=(\d+)/)?.[1];
    if (r.status === 0 && pid !== undefined) this.#pid = Number(pid);
    this.#stale = /Connection refused/.test(r.stderr);
    if (r.status !== 0) this.markLost();
    return r.status === 0;
  }

  async #start(): Promise<void> {
    const o = this.#o;
    if (await this.check()) {
      this.#up = true;
      o.onEvent({ type: "master:up", host: o.destination, ms: 0, reused: true });
      return;
    }
    // A socket nobody answers on (its master was killed): ssh would refuse to bind over it and
    // carry on as a plain connection that never multiplexes.
    if (this.#stale) fs.rmSync(this.controlPath, { force: true });
    const wait = this.#lastAttempt + o.minReconnectIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    this.#lastAttempt = Date.now();
    o.onEvent({ type: "master:starting", host: o.destination });
    const t0 = Date.now();
    let hostKey: HostKeyProblem | undefined;
    let refusedPrompt = false;
    const relay = await AskpassRelay.start(path.dirname(this.controlPath), async (prompt, hint) => {
      // A host-key question (a jump host with StrictHostKeyChecking=ask): never yes on anyone's behalf.
      if (isHostKeyQuestion(prompt)) {
        hostKey ??= parseHostKeyProblem(prompt);
        return "no";
      }
      if (hint === "none") return ""; // a notice (touch your security key), not a question
      if (o.prompt === undefined) {
        refusedPrompt = true;
        return null;
      }
      o.onEvent({ type: "prompt", host: o.destination, text: prompt });
      this.prompts++;
      return o.prompt(prompt, { echo: false, host: o.destination });
    });
    let r: Awaited<ReturnType<typeof runSsh>>;
    let raced = false;
    try {
      r = await runSsh({
        argv: [o.ssh, ...masterArgs(o, this.controlPath)],
        env: { ...process.env, ...relay.env() },
        stdin: "",
        detached: true,
        timeoutMs: o.loginTimeoutMs,
        // Another process started a master at this path first (two runners starting at once).
        watchStderr: (text) => (raced ||= /already exists, disabling multiplexing/.test(text)),
      });
    } finally {
      await relay.close();
    }
    if (raced && (await this.check())) {
      this.#up = true;
      o.onEvent({ type: "master:up", host: o.destination, ms: Date.now() - t0, reused: true });
      return;
    }
    if (r.status === 0 && (await this.check())) {
      this.#up = true;
      this.#owned = true;
      o.onEvent({ type: "master:up", host: o.destination, ms: Date.now() - t0, reused: false });
      return;
    }
    const error = await this.#loginError(r, hostKey, refusedPrompt);
    o.onEvent({ type: "master:failed", host: o.destination, error });
    throw error;
  }

  async #loginError(
    r: Awaited<ReturnType<typeof runSsh>>,
    promptedKey: HostKeyProblem | undefined,
    refusedPrompt: boolean,
  ): Promise<SshTransportError> {
    const o = this.#o;
    const host = o.destination;
    if (r.spawnError) {
      return new SshTransportError(
        `cannot run ${o.ssh}: ${r.spawnError.message} (is the OpenSSH client installed?)`,
        {
          reason: "unreachable",
          outcome: "not-run",
          host,
        },
      );
    }
    if (r.timedOut) {
      return new SshTransportError(
        `logging in to ${host} took longer than ${Math.round(o.loginTimeoutMs / 1000)} s` +
          (this.prompts > 0 ? " (a prompt was not answered in time)" : ""),
        { reason: "timeout", outcome: "not-run", host },
      );
    }
    let stderr = r.stderr;
    if (loginFailureReason(stderr) === "unreachable" && promptedKey === undefined) {
      // A jump host's complaint is hidden under ControlPersist (ssh-args.ts diagnosisArgs).
      const again = await runSsh({
        argv: [o.ssh, ...diagnosisArgs(o)],
        stdin: "",
        detached: true,
        timeoutMs: o.connectTimeoutMs + 5_000,
      });
      if (again.stderr.trim() !== "") stderr = again.stderr;
    }
    const reason = promptedKey ? "host-key" : loginFailureReason(stderr);
    if (reason === "host-key") {
      let key = parseHostKeyProblem(stderr) ?? promptedKey;
      if (key && key.problem === "unknown" && key.fingerprint === undefined) {
        const probed = await probeFingerprint(o, path.dirname(this.controlPath), key.hostId).catch(
          () => undefined,
        );
        if (probed) key = probed;
      }
      const message = key
        ? await describeHostKey(o, key)
        : `host key verification failed for ${host}: ${sshComplaint(stderr)}`;
      return new SshTransportError(`ssh: ${message}`, {
        reason,
        outcome: "not-run",
        host,
        ...(key ? { hostKey: key } : {}),
      });
    }
    if (reason === "auth") {
      // without a prompt function ssh asks nothing (NumberOfPasswordPrompts=0): the server's list
      // of methods left says it wanted an answer
      refusedPrompt ||=
        o.prompt === undefined && /Permission denied \([^)]*keyboard-interactive/.test(stderr);
      const hint = refusedPrompt
        ? ". The server asked a question (one-time code or password) and no prompt is wired: start ferry from a terminal (ferry runner start) to answer it."
        : `. Check that \`ssh ${host}\` works in a terminal.`;
      return new SshTransportError(`ssh: login to ${host} failed: ${sshComplaint(stderr)}${hint}`, {
        reason,
        outcome: "not-run",
        host,
      });
    }
    return new SshTransportError(`ssh: cannot reach ${host}: ${sshComplaint(stderr)}`, {
      reason,
      outcome: "not-run",
      host,
    });
  }

  /** End the master if we started it (`ssh -O exit`) and wait until its socket is gone. */
  async close(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => {});
    if (!this.#owned) {
      this.#up = false;
      return;
    }
    await runSsh({
      argv: [this.#o.ssh, ...controlArgs(this.#o, this.controlPath, "exit")],
      timeoutMs: 10_000,
    });
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && (fs.existsSync(this.controlPath) || this.#alive())) await sleep(20);
    this.#up = false;
    this.#owned = false;
    this.#o.onEvent({ type: "master:closed", host: this.#o.destination });
  }

  /** The master process still runs (a zombie awaiting its reaper counts as gone). */
  #alive(): boolean {
    if (this.#pid === undefined) return false;
    try {
      return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${this.#pid}/status`, "utf8"));
    } catch {
      return false;
    }
  }
}
