/**
 * Throwaway OpenSSH servers on loopback (needs root and scripts/ci/sshd.sh: component "sshd").
 *
 *   await using lab = await SshLab.create();
 *   const login = await lab.server("login");                          // publickey
 *   const mfa = await lab.server("mfa", { mfa: { code: "424242" } }); // + keyboard-interactive
 *   const bastion = await lab.server("bastion");
 *   lab.jump("login-via-bastion", login, bastion);                    // Host alias with ProxyJump
 *   new SshTransport({ ...lab.transportOptions("login"), ... })
 *
 * Each server has its own port, host key, sshd_config, pid file and log in the lab's folder; the
 * lab writes one ssh config file (Host aliases with HostName/Port/User/IdentityFile/
 * UserKnownHostsFile/ProxyJump) that the transport uses with `-F`. For fault tests a server can
 * stop (dropping its connections, as a rebooting login node does, or keeping them, as a restarted
 * sshd does), start again on the same port, present a new host key, or be left out of
 * known_hosts. The one-time code comes from PAM through a service of its own (a symlink named
 * `ferry-sshd-<random>` to sshd selects /etc/pam.d/<that name>, removed on dispose), so the
 * system's /etc/pam.d/sshd is never touched.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { processesMentioning } from "./proc.ts";
import { SSH_TEST_USER, Sshd, type SshdOptions } from "./sshd-server.ts";

export { processesMentioning } from "./proc.ts";
export { SSH_TEST_USER, Sshd, type SshdOptions } from "./sshd-server.ts";

function userEntry(name: string): { uid: number; gid: number; home: string } {
  const f = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim().split(":");
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

export class SshLab implements AsyncDisposable {
  readonly dir: string;
  readonly user = SSH_TEST_USER;
  readonly #servers: Sshd[] = [];
  readonly #aliases = new Map<string, { server: Sshd; jump?: Sshd | undefined; port?: number | undefined }>();
  readonly #remoteDirs: string[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<SshLab> {
    removeStalePamServices();
    const dir = fs.mkdtempSync("/tmp/ferry-sshd-");
    // The test user reads authorized_keys, and PAM (root) runs the code checker, from here.
    fs.chmodSync(dir, 0o755);
    const lab = new SshLab(dir);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ferry-test", "-f", lab.clientKey]);
    fs.copyFileSync(`${lab.clientKey}.pub`, path.join(dir, "authorized_keys"));
    fs.chmodSync(path.join(dir, "authorized_keys"), 0o644);
    lab.writeClientFiles();
    return lab;
  }

  get clientKey(): string {
    return path.join(this.dir, "client_ed25519");
  }
  get configFile(): string {
    return path.join(this.dir, "ssh_config");
  }
  get knownHostsFile(): string {
    return path.join(this.dir, "known_hosts");
  }

  async server(alias: string, options: SshdOptions = {}): Promise<Sshd> {
    const s = new Sshd(this, alias, options);
    this.#servers.push(s);
    await s.start();
    return s;
  }

  /** A Host alias reaching `target` through `bastion` (ProxyJump). */
  jump(alias: string, target: Sshd, bastion: Sshd): string {
    return this.alias(alias, target, { jump: bastion });
  }

  /**
   * Another Host alias for `server`: through a jump host, and/or at another port (a proxy in
   * front of it, whose port then gets the server's key in known_hosts).
   */
  alias(alias: string, server: Sshd, via: { jump?: Sshd; port?: number }): string {
    this.#aliases.set(alias, { server, jump: via.jump, port: via.port });
    this.writeClientFiles();
    return alias;
  }

  writeClientFiles(): void {
    const common = [
      "  HostName 127.0.0.1",
      `  User ${this.user}`,
      `  IdentityFile ${this.clientKey}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${this.knownHostsFile}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  PasswordAuthentication no",
    ];
    const blocks = [
      ...this.#servers.map((s) => [`Host ${s.alias}`, `  Port ${s.port}`, ...common].join("\n")),
      ...[...this.#aliases].map(([alias, a]) =>
        [
          `Host ${alias}`,
          `  Port ${a.port ?? a.server.port}`,
          ...(a.jump ? [`  ProxyJump ${a.jump.alias}`] : []),
          ...common,
        ].join("\n"),
      ),
    ];
    fs.writeFileSync(this.configFile, `${blocks.join("\n\n")}\n`, { mode: 0o600 });
    const proxied = [...this.#aliases.values()]
      .filter((a) => a.port !== undefined)
      .map((a) => a.server.knownHostsLine()?.replace(/^\[127\.0\.0\.1\]:\d+ /, `[127.0.0.1]:${a.port} `));
    const lines = [...this.#servers.map((s) => s.knownHostsLine()), ...proxied].filter(
      (l) => l !== undefined,
    );
    fs.writeFileSync(this.knownHostsFile, lines.map((l) => `${l}\n`).join(""), { mode: 0o600 });
    fs.chmodSync(path.join(this.dir, "client_ed25519"), 0o600);
  }

  /** What an SshTransport needs to reach `alias` through this lab's config. */
  transportOptions(alias: string): { destination: string; configFile: string; stateDir: string } {
    const stateDir = path.join(this.dir, "state");
    return { destination: alias, configFile: this.configFile, stateDir };
  }

  /** A fresh folder in the test user's home, owned by that user (removed on dispose). */
  remoteDir(): string {
    const u = userEntry(this.user);
    const d = fs.mkdtempSync(path.join(u.home, "ferry-test-"));
    fs.chownSync(d, u.uid, u.gid);
    this.#remoteDirs.push(d);
    return d;
  }

  /**
   * Stops the servers and removes everything. Fails (after cleaning up) when an ssh master of a
   * transport is still running: every transport must be closed by the test that opened it.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const leaked = processesMentioning(path.join(this.dir, "state"));
    for (const pid of leaked) process.kill(pid, "SIGKILL");
    for (const s of this.#servers) await s.dispose();
    for (const d of this.#remoteDirs) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (leaked.length > 0)
      throw new Error(
        `${leaked.length} ssh process(es) left running (pids ${leaked.join(", ")}): a transport was not closed`,
      );
  }
}

/** PAM services of test runs killed before they cleaned up (their code checker is gone). */
function removeStalePamServices(): void {
  for (const name of fs.readdirSync("/etc/pam.d").filter((n) => n.startsWith("ferry-sshd-"))) {
    const file = path.join("/etc/pam.d", name);
    const checker = fs.readFileSync(file, "utf8").match(/pam_exec\.so .* (\S+)$/m)?.[1];
    if (checker === undefined || !fs.existsSync(checker)) fs.rmSync(file, { force: true });
  }
}
