/** Processes on this machine as /proc shows them (Linux): for stopping servers and finding leaks. */
import * as fs from "node:fs";

/** /proc/<pid>/stat fields after the command name: [state, ppid, pgrp, session, ...]. */
export function procStat(pid: string): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

export function procComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  const st = procStat(String(pid));
  return st !== undefined && st[0] !== "Z";
}

/** Processes whose command line mentions `text` (e.g. a ControlPath), zombies excluded. */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes(text) && alive(Number(pid)) && Number(pid) !== process.pid) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every process below it (by parent links), as they are right now. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    const st = procStat(p);
    if (st) parent.set(Number(p), Number(st[1]));
  }
  const under = (pid: number): boolean => {
    for (let p: number | undefined = pid, n = 0; p !== undefined && n < 64; p = parent.get(p), n++) {
      if (p === root) return true;
    }
    return false;
  };
  return [...parent.keys()].filter(under);
}
