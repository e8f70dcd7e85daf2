/**
 * Folder and process primitives as small POSIX sh scripts. Paths and words travel as positional
 * arguments of `sh -c <script> ferry <args>` (each quoted by the command line), never pasted into
 * the script itself.
 */
import { TransportError } from "../../model/errors.ts";
import type { DirEntry } from "../types.ts";
import type { CommandRunner } from "./command.ts";

type Run = (
  script: string,
  args: readonly string[],
  what: string,
) => Promise<{ exitCode: number | null; stdout: Buffer; stderr: string }>;

export function scriptRunner(runner: CommandRunner, timeoutMs: number): Run {
  return (script, args, what) =>
    runner.run({ argv: ["sh", "-c", script, "ferry", ...args] }, { timeoutMs, what });
}

function failed(what: string, file: string, r: { exitCode: number | null; stderr: string }): TransportError {
  return new TransportError(`${what} ${file} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, {
    path: file,
    retryable: false,
  });
}

export async function mkdirRemote(run: Run, dir: string): Promise<void> {
  const r = await run('mkdir -p -- "$1"', [dir], "mkdir");
  if (r.exitCode !== 0) throw failed("mkdir", dir, r);
}

const LIST = `
if ! cd -- "$1" 2>/dev/null; then
  if [ -e "$1" ] || [ -L "$1" ]; then echo "not a folder, or no permission" >&2; exit 2; fi
  exit 3
fi
for f in * .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  if [ -d "$f" ] && [ ! -L "$f" ]; then printf 'd%s\\0' "$f"; else printf 'f%s\\0' "$f"; fi
done`;

/** Entries of a folder (symlinks are not folders, as with readdir's Dirent), null when absent. */
export async function listRemote(run: Run, dir: string): Promise<DirEntry[] | null> {
  const r = await run(LIST, [dir], "list");
  if (r.exitCode === 3) return null;
  if (r.exitCode !== 0) throw failed("list", dir, r);
  return r.stdout
    .toString("utf8")
    .split("\0")
    .filter((e) => e.length > 1)
    .map((e) => ({ name: e.slice(1), isDirectory: e[0] === "d" }));
}

export async function removeRemote(run: Run, target: string, recursive: boolean): Promise<void> {
  const r = await run(recursive ? 'rm -rf -- "$1"' : 'rm -f -- "$1"', [target], "remove");
  if (r.exitCode !== 0) throw failed("remove", target, r);
}

// mv into an existing folder would move inside it; rename(2) refuses, and so do we.
const RENAME = `if [ -d "$2" ] && [ ! -L "$2" ] && [ ! -d "$1" ]; then echo "$2 is a folder" >&2; exit 1; fi
mv -f -- "$1" "$2"`;

export async function renameRemote(run: Run, from: string, to: string): Promise<void> {
  const r = await run(RENAME, [from, to], "rename");
  if (r.exitCode !== 0) throw failed("rename", from, r);
}

// Linux: /proc (a zombie is gone); elsewhere kill -0 and ps. Exit 0: alive (and the word matches).
const ALIVE = `p=$1
if [ -r /proc/self/cmdline ]; then
  [ -d "/proc/$p" ] || exit 1
  grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null && exit 1
  [ "$#" -lt 2 ] && exit 0
  tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$2"
else
  kill -0 "$p" 2>/dev/null || ps -p "$p" >/dev/null 2>&1 || exit 1
  [ "$#" -lt 2 ] && exit 0
  ps -o args= -p "$p" | grep -qF -- "$2"
fi`;

export async function processAliveRemote(run: Run, pid: number, word: string | undefined): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  const r = await run(ALIVE, word === undefined ? [String(pid)] : [String(pid), word], "process check");
  if (r.exitCode === 0) return true;
  if (r.exitCode === 1) return false;
  throw failed("process check of", String(pid), r);
}

export async function signalRemote(run: Run, pid: number, signal: NodeJS.Signals): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid === 0 || pid === 1 || pid === -1) return false;
  if (!/^SIG[A-Z0-9]+$/.test(signal)) throw new TypeError(`invalid signal ${JSON.stringify(signal)}`);
  // A zombie awaiting its reaper takes signals but is gone (pid 1 may reap late).
  const script = `grep -q '^State:[[:space:]]*Z' "/proc/$2/status" 2>/dev/null && exit 1; kill -s "$1" -- "$2" 2>/dev/null`;
  const r = await run(script, [signal.slice(3), String(pid)], "signal");
  return r.exitCode === 0;
}
