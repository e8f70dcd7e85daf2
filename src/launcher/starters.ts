/**
 * What starts a launcher's supervised tasks (supervise.ts): the task supervisor (supervisor.ts),
 * started with the launcher so that Python's start overlaps the launcher's own; where it cannot
 * run, the task-shell spawner (spawner.ts); or neither (the launcher forks task shells itself).
 * Decided once, when the first task asks.
 */
import { TaskSpawner } from "./spawner.ts";
import { TASK_SHELL } from "./supervise.ts";
import { TaskSupervisor } from "./supervisor.ts";

export interface Starters {
  supervisor: TaskSupervisor | null;
  spawner: TaskSpawner | null;
}

export class TaskStarters {
  readonly #supervising: Promise<TaskSupervisor | null>;
  readonly #shell: boolean;
  #decided: Promise<Starters> | undefined;

  /** `use`: "supervisor" (then the spawner where it cannot run), "shell", or "none". */
  constructor(use: "supervisor" | "shell" | "none", o: { leaseOwner: string; killGraceMs: number }) {
    this.#supervising = use === "supervisor" ? TaskSupervisor.start(undefined, o) : Promise.resolve(null);
    this.#shell = use !== "none";
  }

  get(): Promise<Starters> {
    this.#decided ??= this.#supervising.then((supervisor) => ({
      supervisor,
      spawner: supervisor === null && this.#shell ? TaskSpawner.start(TASK_SHELL) : null,
    }));
    return this.#decided;
  }

  /** No more tasks (the launcher waited for its running ones). */
  async close(): Promise<void> {
    const decided = await this.#decided;
    decided?.spawner?.close();
    (await this.#supervising)?.close();
  }
}
