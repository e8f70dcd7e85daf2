/**
 * What an SshTransport needs. A managed worker's `transport: {type: ssh, host, ...}` maps onto it
 * one to one; everything else has a default measured or argued below.
 */

/** Answers one authentication prompt (one-time code, password, key passphrase). */
export type SshPrompt = (text: string, info: { echo: boolean; host: string }) => Promise<string>;

/** What the transport reports about its connection (never a prompt's answer). */
export type SshEvent =
  | { type: "master:starting"; host: string }
  | { type: "master:up"; host: string; ms: number; reused: boolean }
  | { type: "master:failed"; host: string; error: Error }
  | { type: "master:lost"; host: string }
  | { type: "master:closed"; host: string }
  | { type: "prompt"; host: string; text: string };

export interface SshTransportOptions {
  /**
   * The destination exactly as `ssh` takes it: a Host alias from the ssh config, `host`, or
   * `user@host`. The user's config applies as is (ProxyJump, Match, Include, certificates), so if
   * `ssh <destination>` works in a terminal, the transport works.
   */
  destination: string;
  /** Folder for ferry's control sockets (the project's state folder; created 0700). */
  stateDir: string;
  /** An ssh config file used instead of ~/.ssh/config (`ssh -F`). */
  configFile?: string;
  /** Overrides for the config's User / Port / IdentityFile of the destination. */
  user?: string;
  port?: number;
  identityFile?: string;
  /** known_hosts file for the destination (default: the user's; jump hosts use the config's). */
  knownHostsFile?: string;
  /** More `-o Key=Value` options for every ssh run (tests, site needs). */
  sshOptions?: Readonly<Record<string, string>>;
  /** Asked once per connection for keyboard-interactive codes; without it such a login fails. */
  prompt?: SshPrompt;
  onEvent?: (event: SshEvent) => void;
  /** Concurrent commands over the one connection. sshd's MaxSessions defaults to 10. */
  maxSessions?: number;
  /** TCP connect timeout (ssh ConnectTimeout). */
  connectTimeoutMs?: number;
  /** The whole login, prompts answered by a person included. */
  loginTimeoutMs?: number;
  /** Keepalive: a silent connection is declared dead after interval × count seconds. */
  serverAliveIntervalS?: number;
  serverAliveCountMax?: number;
  /** How long the master outlives its last command (a restarted runner reuses it: no new code). */
  controlPersistS?: number;
  /** At most one new connection per this many ms (aiida #995: a site banned a workstation). */
  minReconnectIntervalMs?: number;
  /** Default timeout of `exec` when the command gives none, and of folder/process primitives. */
  commandTimeoutMs?: number;
  /** Timeout of one batched transfer (readMany, writeMany, putMany, getMany). */
  transferTimeoutMs?: number;
  /** The ssh client binary. */
  ssh?: string;
}

export interface ResolvedSshOptions {
  readonly destination: string;
  readonly stateDir: string;
  readonly configFile: string | undefined;
  readonly knownHostsFile: string | undefined;
  /** `-o` options from user/port/identityFile/sshOptions, in order. */
  readonly extraOptions: readonly string[];
  readonly prompt: SshPrompt | undefined;
  readonly onEvent: (event: SshEvent) => void;
  readonly maxSessions: number;
  readonly connectTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly serverAliveIntervalS: number;
  readonly serverAliveCountMax: number;
  readonly controlPersistS: number;
  readonly minReconnectIntervalMs: number;
  readonly commandTimeoutMs: number;
  readonly transferTimeoutMs: number;
  readonly ssh: string;
}

const OPTION_KEY = /^[A-Za-z][A-Za-z0-9]*$/;

export function resolveSshOptions(o: SshTransportOptions): ResolvedSshOptions {
  if (o.destination === "" || o.destination.startsWith("-")) {
    throw new TypeError(`invalid ssh destination ${JSON.stringify(o.destination)}`);
  }
  const extra: string[] = [];
  if (o.user !== undefined) extra.push(`User=${o.user}`);
  if (o.port !== undefined) extra.push(`Port=${o.port}`);
  if (o.identityFile !== undefined) extra.push(`IdentityFile=${o.identityFile}`);
  for (const [k, v] of Object.entries(o.sshOptions ?? {})) {
    if (!OPTION_KEY.test(k)) throw new TypeError(`invalid ssh option name ${JSON.stringify(k)}`);
    extra.push(`${k}=${v}`);
  }
  const maxSessions = o.maxSessions ?? 8;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new TypeError("maxSessions must be ≥ 1");
  return Object.freeze({
    destination: o.destination,
    stateDir: o.stateDir,
    configFile: o.configFile,
    knownHostsFile: o.knownHostsFile,
    extraOptions: Object.freeze(extra),
    prompt: o.prompt,
    onEvent: o.onEvent ?? (() => {}),
    maxSessions,
    connectTimeoutMs: o.connectTimeoutMs ?? 15_000,
    loginTimeoutMs: o.loginTimeoutMs ?? 300_000,
    serverAliveIntervalS: o.serverAliveIntervalS ?? 15,
    serverAliveCountMax: o.serverAliveCountMax ?? 3,
    controlPersistS: o.controlPersistS ?? 600,
    minReconnectIntervalMs: o.minReconnectIntervalMs ?? 2_000,
    commandTimeoutMs: o.commandTimeoutMs ?? 60_000,
    transferTimeoutMs: o.transferTimeoutMs ?? 600_000,
    ssh: o.ssh ?? "ssh",
  });
}
