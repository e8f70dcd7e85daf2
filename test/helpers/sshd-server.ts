/**
 * One throwaway OpenSSH server (test/helpers/sshd.ts describes the lab around it): its own port,
 * host key, sshd_config, pid file and log; started with -D so that its pid is ours to stop.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { alive, procComm, processTree } from "./proc.ts";

export const SSH_TEST_USER = process.env.FERRY_TEST_SSH_USER ?? "hpcuser";
const SSHD = "/usr/sbin/sshd";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a server needs of its lab: the folder, and a way to rewrite the client's files. */
export interface LabFiles {
  readonly dir: string;
  readonly knownHostsFile: string;
  writeClientFiles(): void;
}

export interface SshdOptions {
  /** After the key, a keyboard-interactive one-time code (PAM prompt "Password: "). */
  mfa?: { code: string };
  /** Leave this server's key out of known_hosts: an unknown host. */
  unknownHostKey?: boolean;
  /** More sshd_config lines (MaxSessions 2, ...). */
  config?: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Is an SSH server answering on this port (its banner)? */
function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.setTimeout(1000, () => done(false));
    c.once("error", () => done(false));
    c.once("data", (d) => done(d.toString().startsWith("SSH-")));
  });
}

export class Sshd {
  readonly alias: string;
  readonly lab: LabFiles;
  readonly options: SshdOptions;
  port = 0;
  readonly #base: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #pam: string | undefined;
  /** The known_hosts line the clients trust, when it is not the current key (changeHostKey). */
  #trusted: string | undefined;

  constructor(lab: LabFiles, alias: string, options: SshdOptions) {
    this.lab = lab;
    this.alias = alias;
    this.options = options;
    this.#base = path.join(lab.dir, alias);
    if (options.mfa) {
      this.#pam = `ferry-sshd-${randomBytes(6).toString("hex")}`;
      fs.writeFileSync(`${this.#base}.expected`, `${options.mfa.code}\n`);
      fs.writeFileSync(
        `${this.#base}.check-code`,
        `#!/bin/sh\nread -r code\necho x >> '${this.#base}.codes'\n[ "$code" = "$(cat '${this.#base}.expected')" ]\n`,
        { mode: 0o755 },
      );
      fs.writeFileSync(
        `/etc/pam.d/${this.#pam}`,
        [
          `auth     required pam_exec.so expose_authtok quiet ${this.#base}.check-code`,
          // Without it a correct code still fails: pam_setcred(): Permission denied (pam_exec only ignores setcred).
          "auth     optional pam_permit.so",
          "account  required pam_permit.so",
          "session  required pam_permit.so",
          "",
        ].join("\n"),
      );
      fs.symlinkSync(SSHD, path.join(lab.dir, this.#pam));
    }
    this.newHostKey();
  }

  get hostKeyPub(): string {
    return fs.readFileSync(`${this.#base}.host_ed25519.pub`, "utf8").trim();
  }

  get logFile(): string {
    return `${this.#base}.log`;
  }

  /** A fresh host key (known_hosts keeps the old one until forgetHostKey or rewrite). */
  newHostKey(): void {
    fs.rmSync(`${this.#base}.host_ed25519`, { force: true });
    fs.rmSync(`${this.#base}.host_ed25519.pub`, { force: true });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${this.#base}.host_ed25519`]);
  }

  #writeConfig(): void {
    const mfa = this.options.mfa !== undefined;
    fs.writeFileSync(
      `${this.#base}.sshd_config`,
      [
        `Port ${this.port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${this.#base}.host_ed25519`,
        `PidFile ${this.#base}.pid`,
        `AuthorizedKeysFile ${this.lab.dir}/authorized_keys`,
        // The lab folder is under /tmp (world-writable), which StrictModes would refuse.
        "StrictModes no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        `KbdInteractiveAuthentication ${mfa ? "yes" : "no"}`,
        `UsePAM ${mfa ? "yes" : "no"}`,
        ...(mfa ? ["AuthenticationMethods publickey,keyboard-interactive"] : []),
        `AllowUsers ${SSH_TEST_USER}`,
        "Subsystem sftp internal-sftp",
        "PermitRootLogin no",
        "LogLevel VERBOSE",
        ...(this.options.config ?? []),
        "",
      ].join("\n"),
    );
  }

  /** Start (again) on this server's port; resolves when it answers. */
  async start(): Promise<void> {
    if (this.#child) return;
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const first = this.port === 0;
    for (let attempt = 0; ; attempt++) {
      if (first) this.port = await freePort();
      this.#writeConfig();
      this.lab.writeClientFiles();
      const bin = this.#pam ? path.join(this.lab.dir, this.#pam) : SSHD;
      // setpriv execs sshd in place (same pid) with a parent-death signal: if the test process
      // dies without disposing the lab, its servers do not outlive it.
      const child = spawn(
        "setpriv",
        ["--pdeathsig", "SIGKILL", "--", bin, "-D", "-f", `${this.#base}.sshd_config`, "-E", this.logFile],
        { stdio: "ignore" },
      );
      this.#child = child;
      this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
      let gone = false;
      child.once("exit", () => {
        gone = true;
        if (this.#child === child) this.#child = undefined;
      });
      for (let i = 0; i < 100 && !gone; i++) {
        if (await banner(this.port)) return;
        await sleep(50);
      }
      this.#kill("SIGKILL");
      await this.#exited;
      // Another test took the port between our probe and sshd's bind: pick another one.
      if (!first || attempt >= 4) {
        throw new Error(`sshd ${this.alias} did not start on port ${this.port}:\n${this.log().slice(-2000)}`);
      }
    }
  }

  #kill(sig: NodeJS.Signals): void {
    try {
      this.#child?.kill(sig);
    } catch {
      // gone
    }
  }

  /**
   * Stop the server. By default its connections die too (a login node going down: every
   * session's processes are killed); with keepSessions only the listener stops (a restarted sshd:
   * existing connections live on, new ones are refused until start()).
   */
  async stop(options: { keepSessions?: boolean } = {}): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    const listener = child.pid;
    // Frozen first, so that no connection is accepted while we look for the current ones. Each
    // connection is a child of the listener; the user's commands are further down (in a session
    // of their own: sshd calls setsid for them), so we follow parent links, not sessions.
    process.kill(listener, "SIGSTOP");
    const victims = this.#tree().filter((p) => p !== listener);
    this.#kill("SIGKILL");
    await this.#exited;
    if (options.keepSessions) return;
    for (const p of victims) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone
      }
    }
    for (let i = 0; i < 100 && victims.some((p) => alive(p)); i++) await sleep(20);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Restart presenting a new host key; the lab's known_hosts still holds the old one. */
  async changeHostKey(): Promise<void> {
    const running = this.#child !== undefined;
    if (running) await this.stop();
    this.#trusted ??= this.knownHostsLine();
    this.newHostKey();
    if (running) await this.start();
    else this.lab.writeClientFiles();
  }

  /** Trust the key the server presents now (what a user does after checking a changed key). */
  trustCurrentKey(): void {
    this.#trusted = undefined;
    this.options.unknownHostKey = false;
    this.lab.writeClientFiles();
  }

  /** Remove this server from known_hosts: its key becomes unknown. */
  forgetHostKey(): void {
    this.options.unknownHostKey = true;
    this.lab.writeClientFiles();
  }

  /** How many one-time codes the server checked (right or wrong). */
  codeChecks(): number {
    try {
      return fs.readFileSync(`${this.#base}.codes`, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  }

  /** How many logins (connections that authenticated) the server accepted. */
  logins(): number {
    // "Accepted publickey for", or after a partial publickey "Accepted keyboard-interactive/pam for"
    return (this.log().match(/^Accepted \S+ for /gm) ?? []).length;
  }

  /** TCP connections the server accepted (ours at start() included: count differences). */
  connections(): number {
    return (this.log().match(/^Connection from /gm) ?? []).length;
  }

  /**
   * Freeze the server and its connections (not the users' commands): a network that silently
   * drops everything, which only keepalives notice. thaw() undoes it.
   */
  freeze(): void {
    for (const pid of this.#sshdProcesses()) process.kill(pid, "SIGSTOP");
  }

  thaw(): void {
    for (const pid of this.#sshdProcesses()) process.kill(pid, "SIGCONT");
  }

  #sshdProcesses(): number[] {
    // comm is the binary's name cut to 15 bytes: "sshd", or our PAM symlink "ferry-sshd-…".
    return this.#tree().filter((p) => /^(sshd|ferry-sshd-)/.test(procComm(p) ?? ""));
  }

  /** The listener and every process below it. */
  #tree(): number[] {
    const listener = this.#child?.pid;
    return listener === undefined ? [] : processTree(listener);
  }

  /** How many sessions (commands) the server started, over all connections. */
  sessions(): number {
    return (this.log().match(/Starting session: /g) ?? []).length;
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  knownHostsLine(): string | undefined {
    if (this.options.unknownHostKey || this.port === 0) return undefined;
    if (this.#trusted !== undefined) return this.#trusted;
    return `[127.0.0.1]:${this.port} ${this.hostKeyPub.split(" ").slice(0, 2).join(" ")}`;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#pam) fs.rmSync(`/etc/pam.d/${this.#pam}`, { force: true });
  }
}
