/**
 * One transport per managed worker: this machine for a worker without `host`, else the system
 * OpenSSH client through ferry's ControlMaster for that host (shared by workers that name the same
 * host with the same ssh settings: one connection, one one-time code).
 */
import { join } from "node:path";
import type { ResolvedWorker } from "../config/load.ts";
import { LocalTransport } from "../transport/local.ts";
import { type SshEvent, type SshPrompt, SshTransport } from "../transport/ssh/index.ts";
import type { Transport } from "../transport/types.ts";

export type ManagedWorker = Extract<ResolvedWorker, { mode: "managed" }>;

export interface TransportPoolOptions {
  /** The project's state folder (.ferry): control sockets go in its ssh/ folder. */
  stateDir: string;
  prompt?: SshPrompt;
  onEvent?: (e: SshEvent) => void;
}

export class TransportPool implements AsyncDisposable {
  readonly #o: TransportPoolOptions;
  readonly #byKey = new Map<string, Transport>();

  constructor(o: TransportPoolOptions) {
    this.#o = o;
  }

  static keyOf(w: ManagedWorker): string {
    return w.host === undefined ? "local" : JSON.stringify([w.host, w.ssh ?? {}]);
  }

  get(w: ManagedWorker): Transport {
    const key = TransportPool.keyOf(w);
    let t = this.#byKey.get(key);
    if (t) return t;
    if (w.host === undefined) t = new LocalTransport();
    else {
      const s = w.ssh ?? {};
      t = new SshTransport({
        destination: w.host,
        stateDir: join(this.#o.stateDir),
        ...(s.configFile !== undefined ? { configFile: s.configFile } : {}),
        ...(s.user !== undefined ? { user: s.user } : {}),
        ...(s.port !== undefined ? { port: s.port } : {}),
        ...(s.identityFile !== undefined ? { identityFile: s.identityFile } : {}),
        ...(s.knownHostsFile !== undefined ? { knownHostsFile: s.knownHostsFile } : {}),
        ...(s.options !== undefined ? { sshOptions: s.options } : {}),
        ...(this.#o.prompt ? { prompt: this.#o.prompt } : {}),
        ...(this.#o.onEvent ? { onEvent: this.#o.onEvent } : {}),
      });
    }
    this.#byKey.set(key, t);
    return t;
  }

  /** Log in to every ssh host now (so prompts come at start, when a person is there). */
  async connectAll(workers: readonly ManagedWorker[]): Promise<{ worker: string; error: unknown }[]> {
    const failed: { worker: string; error: unknown }[] = [];
    for (const w of workers) {
      const t = this.get(w);
      if (t instanceof SshTransport)
        await t.connect().catch((error: unknown) => failed.push({ worker: w.name, error }));
    }
    return failed;
  }

  /** How many login prompts were answered, over every ssh connection. */
  get prompts(): number {
    let n = 0;
    for (const t of this.#byKey.values()) if (t instanceof SshTransport) n += t.prompts;
    return n;
  }

  async close(): Promise<void> {
    const all = [...this.#byKey.values()];
    this.#byKey.clear();
    await Promise.all(all.map((t) => t.close().catch(() => {})));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
