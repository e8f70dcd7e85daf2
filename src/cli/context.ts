/** What a command needs: the resolved project (loaded once), the store (opened once), output. */
import { loadProject, type ResolvedProject } from "../config/load.ts";
import { FerryEvents } from "../model/events.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { makeOut, type Out } from "./output.ts";

export interface GlobalOptions {
  project?: string;
  database?: string;
}

export class Context implements AsyncDisposable {
  readonly out: Out;
  readonly options: GlobalOptions;
  readonly events = new FerryEvents();
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  #project: ResolvedProject | undefined;
  #store: Promise<Store> | undefined;

  constructor(options: GlobalOptions, out: Out = makeOut(), cwd = process.cwd(), env = process.env) {
    this.options = options;
    this.out = out;
    this.cwd = cwd;
    this.env = env;
  }

  project(): ResolvedProject {
    const project = this.options.project ?? this.env.FERRY_PROJECT;
    const database = this.options.database ?? this.env.FERRY_DATABASE_URL;
    this.#project ??= loadProject({
      cwd: this.cwd,
      ...(project !== undefined ? { project } : {}),
      ...(database !== undefined ? { database } : {}),
    });
    return this.#project;
  }

  /** The store; `create` only for commands that add data (a missing SQLite file is an error otherwise). */
  store(options: { create?: boolean } = {}): Promise<Store> {
    this.#store ??= openStore(this.project().database, { create: options.create === true });
    return this.#store;
  }

  async close(): Promise<void> {
    if (this.#store) {
      const s = this.#store;
      this.#store = undefined;
      await (await s.catch(() => null))?.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
