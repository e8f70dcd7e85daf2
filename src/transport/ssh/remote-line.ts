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
 * The wrapper is POSIX sh, run as `sh -c '<wrapper>'`, and holds no newline and no `!`: C-shell
 * login shells (tcsh, still the default at some sites) refuse a newline inside quotes and expand
 * `!` even there ("Event not found", measured with tcsh 6.24), while such a quoted word parses
 * alike in sh, bash, zsh, ksh and csh. Newlines and `!` in arguments or scripts travel as
 * "$ferry_nl" and "$ferry_bang", which the wrapper sets first.
 */
import { randomBytes } from "node:crypto";
import { shQuote } from "../quote.ts";

const SPECIALS = `ferry_nl=$(printf '\\n.'); ferry_nl=\${ferry_nl%.}; ferry_bang=$(printf '\\041')`;

/** shQuote for a word inside the wrapper, with newlines and `!` as "$ferry_nl" and "$ferry_bang". */
export function wrapperQuote(word: string): string {
  if (!/[\n!]/.test(word)) return shQuote(word);
  return word
    .split(/([\n!])/)
    .map((part) =>
      part === "\n" ? '"$ferry_nl"' : part === "!" ? '"$ferry_bang"' : part === "" ? "" : shQuote(part),
    )
    .join("");
}

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
  const parts = [`printf '%s\\n' ${nonce}; printf '%s pid %s\\n' ${nonce} "$$" >&2`, SPECIALS];
  let body: string;
  if ("script" in cmd) {
    body = `eval ${wrapperQuote(cmd.script)}`;
  } else {
    if (cmd.argv.length === 0) throw new TypeError("empty command");
    if (cmd.cwd !== undefined) {
      parts.push(
        `cd -- ${wrapperQuote(cmd.cwd)} 2>/dev/null || { printf '\\n%s cd\\n' ${nonce} >&2; exit 1; }`,
      );
    }
    const env = Object.entries(cmd.env ?? {});
    for (const [k] of env) {
      if (!ENV_NAME.test(k)) throw new TypeError(`invalid environment variable name ${JSON.stringify(k)}`);
    }
    if (env.length > 0) parts.push(`export ${env.map(([k, v]) => `${k}=${wrapperQuote(v)}`).join(" ")}`);
    body = cmd.argv.map(wrapperQuote).join(" ");
  }
  parts.push(body, `s=$?; printf '\\n%s exit %s\\n' ${nonce} "$s" >&2; exit "$s"`);
  return parts.join("; ");
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
