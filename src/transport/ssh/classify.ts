/**
 * Reading ssh's own complaints. OpenSSH's messages are stable across versions 7–9 (ssh.c,
 * sshconnect.c, mux.c); anything unrecognised while logging in counts as "unreachable", which is
 * retryable and never hides a host-key or login problem (those have distinctive texts).
 */
import type { HostKeyProblem, SshFailureReason } from "./errors.ts";

/** Printed by the ProxyCommand of command clients: they found no master and made no connection. */
export const NO_MASTER_MARK = "ferry-ssh-no-master";

const AUTH = [
  /Permission denied \(/,
  /Too many authentication failures/,
  /Authentication failed/,
  /no more authentication methods/i,
];

export function loginFailureReason(stderr: string): SshFailureReason {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) return "host-key";
  if (AUTH.some((r) => r.test(stderr))) return "auth";
  return "unreachable";
}

/** A command client that failed before its session existed: nothing ran on the remote side. */
export function clientNotRun(stderr: string): "no-master" | "refused" | undefined {
  // MaxSessions reached on the server, or the master is shutting down.
  if (/Session open refused|session request failed|open failed: |master is shutting down/.test(stderr)) {
    return "refused";
  }
  // The client fell back to its ProxyCommand, which connects nowhere. Our mark is not always
  // printed (measured: missing after a master was killed), but ssh's words for a ProxyCommand
  // connection ("UNKNOWN port 65535") and for a dead socket are.
  if (
    stderr.includes(NO_MASTER_MARK) ||
    stderr.includes("Connection closed by UNKNOWN port 65535") ||
    /Control socket connect\(/.test(stderr)
  ) {
    return "no-master";
  }
  return undefined;
}

const FINGERPRINT = /(SHA256:[A-Za-z0-9+/=]+)/;

/** What ssh said about a host key it refused (from its stderr or from a confirmation prompt). */
export function parseHostKeyProblem(text: string): HostKeyProblem | undefined {
  const t = text.replaceAll("\r", "");
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(t)) {
    const sent = t.match(
      /fingerprint for the (\S+) key sent by the remote host is\s*\n?\s*(SHA256:[A-Za-z0-9+/=]+)/,
    );
    return {
      problem: "changed",
      hostId: t.match(/Host key for (\S+) has changed/)?.[1] ?? t.match(/-R "([^"]+)"/)?.[1] ?? "?",
      fingerprint: sent?.[2],
      keyType: sent?.[1],
      offending: t.match(/Offending \S+ key in (\S+:\d+)/)?.[1],
    };
  }
  const strict = t.match(/No (\S+) host key is known for (\S+) and you have requested strict checking/);
  if (strict) {
    return {
      problem: "unknown",
      hostId: strict[2]!,
      fingerprint: undefined,
      keyType: strict[1],
      offending: undefined,
    };
  }
  const ask = t.match(/authenticity of host '([^' ]+)[^']*' can't be established/);
  if (ask) {
    return {
      problem: "unknown",
      hostId: ask[1]!,
      fingerprint: t.match(FINGERPRINT)?.[1],
      keyType: t.match(/\n(\S+) key fingerprint is/)?.[1],
      offending: undefined,
    };
  }
  return undefined;
}

/** Is this prompt ssh asking to trust a host key? ferry never answers yes on anyone's behalf. */
export function isHostKeyQuestion(prompt: string): boolean {
  return /Are you sure you want to continue connecting/.test(prompt);
}

/** The last meaningful lines of ssh's stderr, for an error message. */
export function sshComplaint(stderr: string): string {
  const lines = stderr
    .replaceAll("\r", "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("@") && !l.includes(NO_MASTER_MARK));
  return lines.slice(-3).join("; ").replace(/\.$/, "") || "no message from ssh";
}
