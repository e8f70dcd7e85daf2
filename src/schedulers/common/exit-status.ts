/**
 * Exit codes in one convention for every scheduler: the batch script's own exit status, or
 * 128+N when it was killed by signal N (what a POSIX shell reports, and what SGE's qacct
 * already prints: "exit_status 137 (Killed)"). The reason always says which signal it was, so a
 * reader never has to decode 137 by hand.
 */

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};

export function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? `signal ${signal}`;
}

export interface DecodedExit {
  exitCode: number | null;
  /** "killed by signal 9 (SIGKILL)" when a signal ended the script; null otherwise. */
  signalReason: string | null;
}

/** The script was killed by `signal`: exit code 128+N, and a reason that says so. */
export function killedBy(signal: number): DecodedExit {
  return { exitCode: 128 + signal, signalReason: `killed by signal ${signal} (${signalName(signal)})` };
}

/** A plain exit status; above 128 it is most likely 128+signal, which the reason mentions. */
export function fromExitStatus(status: number): DecodedExit {
  if (status > 128 && status < 128 + 65) {
    return {
      exitCode: status,
      signalReason: `exit status ${status}: probably killed by ${signalName(status - 128)}`,
    };
  }
  return { exitCode: status, signalReason: null };
}

/** Join reason fragments, skipping empty ones; null when nothing is left. */
export function joinReasons(...parts: (string | null | undefined)[]): string | null {
  const kept = parts.filter((p): p is string => typeof p === "string" && p.trim() !== "" && p !== "None");
  return kept.length === 0 ? null : kept.join("; ");
}
