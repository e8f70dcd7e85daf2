/**
 * What a command gets: its output, the environment and folder it runs in, and the project —
 * opened once, through the public API, from --project / FERRY_PROJECT (else ferry.yaml found
 * upwards from here) and --database / FERRY_DATABASE_URL. The CLI is the only place that reads
 * those variables: library code never does.
 */
import type { Project } from "../api/project.ts";
import type { Out } from "./output.ts";

export interface GlobalOptions {
  project?: string;
  database?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class CliContext implements AsyncDisposable {
  readonly out: Out;
  readonly globals: GlobalOptions;
  readonly cwd: string;
  readonly env: Env;
  #project: Promise<Project> | undefined;

  constructor(globals: GlobalOptions, out: Out, env: Env, cwd = process.cwd()) {
    this.globals = globals;
    this.out = out;
    this.env = env;
    this.cwd = cwd;
  }

  /** The project (opened on first use; closed with the context). */
  project(): Promise<Project> {
    this.#project ??= (async () => {
      const named = this.globals.project ?? nonEmpty(this.env.FERRY_PROJECT);
      const database = this.globals.database ?? nonEmpty(this.env.FERRY_DATABASE_URL);
      // imported here: `ferry --version` and `ferry --help` never load the API
      const { openProject } = await import("../api/project.ts");
      return openProject({
        dir: named ?? this.cwd,
        searchParents: named === undefined,
        ...(database !== undefined ? { database } : {}),
      });
    })();
    return this.#project;
  }

  async close(): Promise<void> {
    const p = this.#project;
    this.#project = undefined;
    if (p) await (await p.catch(() => null))?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
