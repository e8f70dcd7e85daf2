/**
 * What every API module works with: the resolved project, its event bus, and its store, opened
 * on first use (and only created by an add: a database that was moved or deleted is reported,
 * never silently replaced by an empty one).
 */
import type { ResolvedProject } from "../config/load.ts";
import type { StopOptions } from "../engine/stop.ts";
import type { FerryEvents } from "../model/events.ts";
import type { Store } from "../store/store.ts";
import { LocalTransport } from "../transport/local.ts";
import type { Transport } from "../transport/types.ts";

export class ApiContext implements AsyncDisposable {
  readonly project: ResolvedProject;
  readonly events: FerryEvents;
  /** This machine: launch directories and processes seen from where the API runs. */
  readonly transport: Transport = new LocalTransport();
  #store: Promise<Store> | undefined;
  #closed = false;

  constructor(project: ResolvedProject, events: FerryEvents) {
    this.project = project;
    this.events = events;
  }

  /** The store; `create` only for operations that add data. */
  store(options: { create?: boolean } = {}): Promise<Store> {
    if (this.#closed) return Promise.reject(new Error("this project was closed"));
    if (!this.#store) {
      const opening = import("../store/open.ts").then(({ openStore }) =>
        openStore(this.project.database, { create: options.create === true }),
      );
      // a failed open (no database yet) is not cached: a later add may create it
      opening.catch(() => {
        if (this.#store === opening) this.#store = undefined;
      });
      this.#store = opening;
    }
    return this.#store;
  }

  /**
   * How live runs are stopped: pull runs on this machine by signal (results already written are
   * collected first), scheduler jobs through their worker's cancel command.
   */
  stopOptions(reason: string): StopOptions {
    return {
      reason,
      transport: this.transport,
      cancelScheduled: async (runs) => {
        const { cancelSchedulerJobs } = await import("../offline/cancel.ts");
        await cancelSchedulerJobs(this.project, runs);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#store;
    this.#store = undefined;
    if (s) await (await s.catch(() => null))?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
