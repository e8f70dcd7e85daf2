/**
 * The one line sent to the remote login shell for a command, and how its stderr is read back.
 *
 * ssh exits 255 both when it fails and when the remote command exits 255, and a command cut off
 * by a dropped connection has no exit code at all. So the line wraps the command: it prints a
 * header (its pid, so a timed-out command can be killed) and, when the command ends, a trailer
 * with its exit status, both on stderr and marked with a random nonce the command cannot guess.
 * A trailer means the command ran to its end, whatever ssh's own status; no header means it never
 * started; a header without a trailer means it started and we do not know how it ended.
 *
 * The wrapper is POSIX sh, run as `sh -c '<wrapper>'`: that one line parses the same way in sh,
 * bash, zsh, ksh, tcsh and fish login shells, so a csh user's cluster works too.
 */
import { randomBytes } from "node:crypto";
import { shJoin, shQuote } from "../quote.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RemoteCommand {
  argv: readonly string[];
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
}

export function newNonce(): string {
  return `ferry-${randomBytes(12).toString("hex")}`;
}

/** The POSIX sh wrapper around one command (or around a script given as `script`). */
export function wrapperScript(cmd: RemoteCommand | { script: string }, nonce: string): string {
  // Start marks on both streams: whatever a noisy login shell prints before them is dropped
  // (jobflow-remote #191: a MOTD in the output broke its parsing).
  const parts = [`printf '%s\\n' ${nonce}; printf '%s pid %s\\n' ${nonce} "$$" >&2`];
  let body: string;
  if ("script" in cmd) {
    body = cmd.script;
  } else {
    if (cmd.argv.length === 0) throw new TypeError("empty command");
    if (cmd.cwd !== undefined) {
      parts.push(`cd -- ${shQuote(cmd.cwd)} 2>/dev/null || { printf '\\n%s cd\\n' ${nonce} >&2; exit 1; }`);
    }
    const env = Object.entries(cmd.env ?? {});
    for (const [k] of env) {
      if (!ENV_NAME.test(k)) throw new TypeError(`invalid environment variable name ${JSON.stringify(k)}`);
    }
    if (env.length > 0) parts.push(`export ${env.map(([k, v]) => `${k}=${shQuote(v)}`).join(" ")}`);
    body = shJoin(cmd.argv);
  }
  parts.push(body, `s=$?; printf '\\n%s exit %s\\n' ${nonce} "$s" >&2; exit "$s"`);
  return parts.join("\n");
}

/** The line the login shell runs. */
export function remoteLine(cmd: RemoteCommand | { script: string }, nonce: string): string {
  return `sh -c ${shQuote(wrapperScript(cmd, nonce))}`;
}

export interface ParsedStderr {
  /** The remote wrapper's pid: the command started. */
  pid: number | undefined;
  /** The command's exit status: it ran to its end. */
  exitCode: number | undefined;
  /** The working directory did not exist (or was not ours to enter). */
  cdFailed: boolean;
  /** stderr without ferry's lines. */
  stderr: string;
}

export function parseStderr(raw: string, nonce: string): ParsedStderr {
  let text = raw;
  let pid: number | undefined;
  const head = text.match(new RegExp(`(?:^|\\n)${nonce} pid (\\d+)\\n`));
  if (head) {
    pid = Number(head[1]);
    text =
      text.slice(0, head.index) + (head.index === 0 ? "" : "\n") + text.slice(head.index! + head[0].length);
  }
  let exitCode: number | undefined;
  let cdFailed = false;
  const tail = [...text.matchAll(new RegExp(`\\n${nonce} (exit (\\d+)|cd)\\n`, "g"))].pop();
  if (tail) {
    if (tail[2] === undefined) cdFailed = true;
    else exitCode = Number(tail[2]);
    text = text.slice(0, tail.index) + text.slice(tail.index! + tail[0].length);
  }
  return { pid, exitCode, cdFailed, stderr: text };
}
