/**
 * At most N sessions at once over one connection, the rest wait in order. sshd refuses the 11th
 * session of a connection (MaxSessions 10 by default): with 30 concurrent commands over one
 * master, 3 failed that way and fell back to new connections (measured), so ferry stays below.
 */
export class SessionLimit {
  #max: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get active(): number {
    return this.#active;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * The server refused a session while `active` were open (this one included): it allows fewer
   * than we thought (a lower MaxSessions, or another process sharing the master). Stay below.
   */
  shrink(active: number): void {
    this.#max = Math.max(1, Math.min(this.#max, active - 1));
  }

  async acquire(): Promise<() => void> {
    if (this.#active >= this.#max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#active <= this.#max ? this.#waiting.shift() : undefined;
      if (next) next();
      else this.#active--;
    };
  }
}

const shared = new Map<string, SessionLimit>();

/**
 * The limit for one connection, shared by every transport of this process that uses it (two
 * workers on the same cluster share one master, so they share its sessions too).
 */
export function sessionLimitFor(controlPath: string, max: number): SessionLimit {
  let limit = shared.get(controlPath);
  if (limit === undefined) {
    limit = new SessionLimit(max);
    shared.set(controlPath, limit);
  }
  return limit;
}
