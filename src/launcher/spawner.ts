/**
 * A small `sh` that forks the launcher's task shells, so the launcher itself never forks.
 *
 * Why: fork copies the parent's page tables, and a launcher holds 100+ MB: measured on this
 * 2-core machine, spawning `sh -c true` from Node costs 2.1 ms at 53 MB RSS and 4.9 ms at
 * 118 MB (the launcher with its modules loaded) — more than everything else a no-op job costs.
 * dash forks in a fraction of that. (dash's `read` takes a byte per system call, so a line
 * carries only the task's arguments; the task shell's text is given once, at start.) The launcher writes one line per task to the spawner's
 * stdin; the spawner starts the task shell in its own session (`setsid`, as Node's `detached`
 * does) and answers `forked <id> <pid>` (the pid it reaps); the task shell itself writes
 * `started <id> <pid>` once it leads its session (so its
 * process group exists when the launcher learns the pid: the spawner answering for it raced
 * setsid, and a signal to the group right after start found none) and `exit <id> <code>` on
 * the same pipe when its task ends (supervise.ts); the spawner reaps it when asked. A task
 * shell that dies without a word (SIGKILL) is found by polling its pid and reaped for its status.
 *
 * Every argument reaches the spawner through shQuote, on one line: a newline inside an argument
 * is written as `$ferry_nl` outside the quotes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { localProcessAlive } from "../transport/local.ts";
import { shQuote } from "../transport/quote.ts";

const SPAWNER = `trap '' USR1 USR2
ferry_setsid=$1 ferry_task_shell=$2
ferry_nl='
'
ferry_start() {
  ferry_id=$1 ferry_out=$2 ferry_err=$3 ferry_cwd=$4
  shift 4
  (cd "$ferry_cwd" && exec "$ferry_setsid" sh -c "$ferry_task_shell" "$@" 3>&1 </dev/null >"$ferry_out" 2>"$ferry_err") &
  echo "forked $ferry_id $!"
}
ferry_reap() { wait "$1"; echo "reaped $1 $?"; }
while IFS= read -r ferry_line; do eval "$ferry_line"; done
`;

/** A word for the spawner's line: quoted, with newlines outside the quotes. */
function word(v: string): string {
  return shQuote(v).replace(/\n/g, `'"$ferry_nl"'`);
}

interface Pending {
  onStart: (pid: number) => void;
  onExit: (code: number) => void;
  pid?: number;
  code?: number;
  gone?: number;
}

export class TaskSpawner {
  readonly #sh: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #byPid = new Map<number, number>();
  #nextId = 1;
  #buffer = "";
  #dead = false;
  readonly #poll: NodeJS.Timeout;

  /** A spawner, or null where no `setsid` is installed (then the launcher spawns by itself). */
  static start(taskShell: string): TaskSpawner | null {
    const setsid = ["/usr/bin/setsid", "/bin/setsid"].find((p) => existsSync(p));
    return setsid ? new TaskSpawner(setsid, taskShell) : null;
  }

  /** `taskShell` is the script every task runs (`sh -c <it> <args>`), given once, not per task. */
  private constructor(setsid: string, taskShell: string) {
    this.#sh = spawn("sh", ["-c", SPAWNER, "ferry-spawner", setsid, taskShell], {
      stdio: ["pipe", "pipe", "ignore"],
      detached: true, // a terminal's Ctrl+C reaches the launcher only
    });
    this.#sh.unref();
    this.#sh.stdout!.setEncoding("utf8");
    this.#sh.stdout!.on("data", (d: string) => this.#read(d));
    this.#sh.stdin!.on("error", () => {});
    this.#sh.on("exit", () => {
      this.#dead = true;
    });
    // a task shell killed without a word: its pid is gone (or a zombie) — ask for its status
    this.#poll = setInterval(() => this.#check(), 500);
    this.#poll.unref();
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /**
   * Start `sh -c <task shell> <args>` in its own session in `cwd`, stdout and stderr to files, fd 3 the pipe
   * its `exit <report> <code>` line goes to; resolves the exit code.
   */
  run(
    args: (report: string) => string[],
    files: { stdout: string; stderr: string; cwd: string },
    onStart: (pid: number) => void,
  ): Promise<number> {
    return new Promise<number>((resolve) => {
      if (this.#dead) return resolve(127);
      const id = this.#nextId++;
      this.#pending.set(id, { onStart, onExit: resolve });
      const line = ["ferry_start", String(id), files.stdout, files.stderr, files.cwd, ...args(String(id))]
        .map(word)
        .join(" ");
      this.#sh.stdin!.write(`${line}\n`);
    });
  }

  #read(data: string): void {
    this.#buffer += data;
    for (let nl = this.#buffer.indexOf("\n"); nl >= 0; nl = this.#buffer.indexOf("\n")) {
      const [what, a, b] = this.#buffer.slice(0, nl).split(" ");
      this.#buffer = this.#buffer.slice(nl + 1);
      const x = Number(a);
      const y = Number(b);
      if (what === "forked") {
        const p = this.#pending.get(x);
        if (!p) continue;
        p.pid = y;
        this.#byPid.set(y, x);
        if (p.code !== undefined) this.#reap(y); // a quick task said `exit` before this line came
      } else if (what === "started") {
        this.#pending.get(x)?.onStart(y);
      } else if (what === "exit") {
        const p = this.#pending.get(x);
        if (!p || p.code !== undefined) continue;
        p.code = y;
        // the task ended: answer now; the reaping (one more round trip) needs no waiting for
        p.onExit(y);
        if (p.pid !== undefined) this.#reap(p.pid);
      } else if (what === "reaped") {
        const id = this.#byPid.get(x);
        const p = id === undefined ? undefined : this.#pending.get(id);
        if (!p || id === undefined) continue;
        this.#byPid.delete(x);
        this.#pending.delete(id);
        if (p.code === undefined) p.onExit(y);
      }
    }
  }

  #check(): void {
    for (const p of this.#pending.values()) {
      if (p.pid === undefined || p.code !== undefined || p.gone === 2 || localProcessAlive(p.pid)) continue;
      // twice in a row: an `exit` line written just before may still be on its way
      p.gone = (p.gone ?? 0) + 1;
      if (p.gone === 2) this.#reap(p.pid);
    }
    if (this.#dead) {
      // nobody can reap for us any more: a task gone without a word ended on a signal
      for (const [id, p] of this.#pending)
        if (p.pid === undefined || !localProcessAlive(p.pid)) {
          this.#pending.delete(id);
          if (p.code === undefined) p.onExit(137);
        }
    }
  }

  #reap(pid: number): void {
    if (!this.#dead) this.#sh.stdin!.write(`ferry_reap ${pid}\n`);
  }

  close(): void {
    clearInterval(this.#poll);
    this.#sh.stdin!.end();
  }
}
