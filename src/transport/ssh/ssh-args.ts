/**
 * The ssh command lines ferry runs. For each option ssh keeps the FIRST value it meets (ssh_config
 * (5)), command line before config file: what ferry must enforce comes first, then the caller's
 * extra options, then defaults the caller may override. The destination is passed as given, so
 * the user's Host blocks (ProxyJump, Match, Include, certificates) apply exactly.
 */
import { NO_MASTER_MARK } from "./classify.ts";
import type { ResolvedSshOptions } from "./options.ts";

/** `Key=Value` for `-o`, quoted when the value holds spaces (ssh splits such values into words). */
function opt(key: string, value: string): string[] {
  const v = /[\s"'\\]/.test(value) ? `"${value.replace(/(["\\])/g, "\\$1")}"` : value;
  return ["-o", `${key}=${v}`];
}

function config(o: ResolvedSshOptions): string[] {
  return o.configFile === undefined ? [] : ["-F", o.configFile];
}

function extras(o: ResolvedSshOptions): string[] {
  return o.extraOptions.flatMap((kv) => ["-o", kv]);
}

function knownHosts(o: ResolvedSshOptions): string[] {
  return o.knownHostsFile === undefined ? [] : opt("UserKnownHostsFile", o.knownHostsFile);
}

/**
 * The master: logs in (prompts go to askpass), then backgrounds itself (ControlPersist), so the
 * process we start exits 0 exactly when the connection is up. Forwardings and a RemoteCommand of
 * the user's Host block belong to their interactive sessions, not to ferry's.
 */
export function masterArgs(o: ResolvedSshOptions, controlPath: string): string[] {
  return [
    ...config(o),
    ...opt("ControlMaster", "yes"),
    ...opt("ControlPath", controlPath),
    ...opt("StrictHostKeyChecking", "yes"),
    ...knownHosts(o),
    ...opt("BatchMode", "no"),
    // Nobody to ask: answer no question at all. ssh would otherwise send an empty answer for
    // each of its 3 prompts, and a site's MFA counts every one as a failed code (accounts lock).
    ...(o.prompt === undefined ? opt("NumberOfPasswordPrompts", "0") : []),
    ...opt("ClearAllForwardings", "yes"),
    ...opt("RemoteCommand", "none"),
    ...opt("ControlPersist", `${o.controlPersistS}s`),
    ...extras(o),
    ...opt("ServerAliveInterval", String(o.serverAliveIntervalS)),
    ...opt("ServerAliveCountMax", String(o.serverAliveCountMax)),
    ...opt("ConnectTimeout", String(Math.max(1, Math.ceil(o.connectTimeoutMs / 1000)))),
    // No -M: after ControlMaster=yes it would mean "ask" (ssh.c), and every session needs a yes.
    "-N",
    "-T",
    "--",
    o.destination,
  ];
}

/**
 * A command through the master. BatchMode: it never prompts. ProxyCommand: when the master is
 * gone, ssh would silently open a connection of its own per command (aiida #4288: 13,671
 * connections to one front end); instead it prints our mark and fails, and we restart the master.
 * With a master up, ssh never runs the ProxyCommand (the mux client is tried first, ssh.c).
 */
export function clientArgs(o: ResolvedSshOptions, controlPath: string, line: string): string[] {
  return [
    ...config(o),
    ...opt("ControlMaster", "no"),
    ...opt("ControlPath", controlPath),
    ...opt("BatchMode", "yes"),
    "-o",
    `ProxyCommand=echo ${NO_MASTER_MARK} >&2`,
    ...opt("StrictHostKeyChecking", "yes"),
    ...knownHosts(o),
    ...opt("ClearAllForwardings", "yes"),
    ...opt("RemoteCommand", "none"),
    ...extras(o),
    "-T",
    "-e",
    "none",
    "--",
    o.destination,
    line,
  ];
}

/** A connection of its own (no master), only to look at a failed login; nothing runs on it. */
function sideLogin(o: ResolvedSshOptions, checking: string[], destination: string): string[] {
  return [
    ...config(o),
    ...opt("ControlMaster", "no"),
    ...opt("ControlPath", "none"),
    ...checking,
    ...opt("ClearAllForwardings", "yes"),
    ...opt("RemoteCommand", "none"),
    ...extras(o),
    ...opt("ConnectTimeout", String(Math.max(1, Math.ceil(o.connectTimeoutMs / 1000)))),
    "-N",
    "-T",
    "--",
    destination,
  ];
}

/**
 * The master's login once more, in the foreground and without prompts: with ControlPersist, ssh
 * sends a ProxyJump's stderr to /dev/null (sshconnect.c), hiding why a jump host refused us.
 * Run only after a failed login, to learn the reason.
 */
export function diagnosisArgs(o: ResolvedSshOptions): string[] {
  const checking = [...opt("StrictHostKeyChecking", "yes"), ...knownHosts(o), ...opt("BatchMode", "yes")];
  return sideLogin(o, checking, o.destination);
}

/** `ssh -O check|exit`: ask the master (exit status 0: it answered). */
export function controlArgs(o: ResolvedSshOptions, controlPath: string, op: "check" | "exit"): string[] {
  return [...config(o), ...opt("ControlPath", controlPath), ...extras(o), "-O", op, "--", o.destination];
}

/**
 * A login that only shows the host key: with an empty known_hosts it always asks whether to trust
 * the key, and that question — fingerprint included, through the same ProxyJump path — reaches
 * our askpass, which answers no. Used only to describe a key ssh already refused.
 */
export function probeArgs(o: ResolvedSshOptions, destination = o.destination): string[] {
  const checking = [
    ...opt("StrictHostKeyChecking", "ask"),
    ...opt("UserKnownHostsFile", "/dev/null"),
    ...opt("GlobalKnownHostsFile", "/dev/null"),
    ...opt("BatchMode", "no"),
  ];
  return sideLogin(o, checking, destination);
}
