/**
 * The TypeScript builder: the same meaning as a flow file, checked by the same schema and graph
 * validation (it builds the file form and runs it through flowSpecFromObject).
 *
 *   import type * as tasks from "./tasks.ts";
 *   const f = flow("diamond");
 *   const a = f.job("a", { sh: `echo '{"n": 3}' > "$FERRY_OUTPUTS"` });
 *   const b = f.job("b", { js: js<typeof tasks.square>("./tasks.ts", "square"), inputs: { x: a.output("n") } });
 *   await project.add(f);
 *
 * Parents are inferred from output references (b reads a's output, so a is b's parent), as
 * jobflow does; `parents` adds ordering without data. Relative module paths resolve against the
 * module that calls `js()` / `flow()` (found from the call stack), not the current folder.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getCallSites } from "node:util";
import type { TaskContext } from "../exec/js-task.ts";
import { type JsonObject, parseJson, stringifyJson } from "../model/json.ts";
import type { Resources } from "../model/resources.ts";
import type { FlowSpec } from "../model/types.ts";
import { flowSpecFromObject } from "./parse.ts";
import { findReferences, ref } from "./references.ts";

/** A js task function as ferry calls it: `(inputs, context) => output`. */
// biome-ignore lint/suspicious/noExplicitAny: the default accepts any task's inputs
export type TaskFn<I = any> = (inputs: I, context: TaskContext) => unknown;

/** A reference to a job's output (or a path inside it); `T` is the value it resolves to. */
export interface OutputRef<T = unknown> {
  $ref: string;
  path?: string;
  /** Type only: what the reference resolves to. Never set. */
  readonly __resolvesTo?: T;
}

/** An input value, or a reference to an output that resolves to one. */
export type Input<T> = T | OutputRef<T>;

/** The inputs of a task taking `I`: each field given as a value or as a reference. */
export type Inputs<I> =
  I extends Record<string, unknown> ? { [K in keyof I]: Input<I[K]> } : Record<string, unknown>;

// biome-ignore lint/suspicious/noExplicitAny: matching any function type
type InputsOf<F> = F extends (inputs: infer I, ...rest: any[]) => unknown ? I : Record<string, unknown>;
type OutputOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : unknown;

export interface ShTaskDef {
  sh: string;
  name?: string;
  env?: Record<string, string>;
}

/** A js task; `F` (type only) is the function, which types the job's inputs. */
export interface JsTaskDef<F extends TaskFn = TaskFn> {
  js: string;
  name?: string;
  /** Type only. Never set. */
  readonly __fn?: F;
}
export interface PyTaskDef {
  py: string;
  name?: string;
  env?: Record<string, string>;
}
export type TaskDef = ShTaskDef | JsTaskDef | PyTaskDef;

/**
 * A py task: `py("pkg.mod", "fn")` imports pkg.mod on the compute node; a .py path or file URL
 * (`py(new URL("./tasks.py", import.meta.url), "fn")`) is copied into the bundle.
 */
export function py(
  target: string | URL,
  functionName: string,
  options: { name?: string; env?: Record<string, string> } = {},
): PyTaskDef {
  const where = target instanceof URL || target.startsWith("file:") ? fileURLToPath(target) : target;
  return { py: `${where}:${functionName}`, ...options };
}

const THIS_FILE = import.meta.url;

/** The folder of the first caller outside this file (a module path or URL), else the current folder. */
function callerDir(): string {
  for (const site of getCallSites()) {
    const name = site.scriptName;
    if (!name || name === THIS_FILE || name.startsWith("node:")) continue;
    if (name.startsWith("file:")) return dirname(fileURLToPath(name));
    if (isAbsolute(name)) return dirname(name);
  }
  return process.cwd();
}

function baseDir(base: string | URL | undefined): string {
  if (base === undefined) return callerDir();
  const text = base instanceof URL ? base.href : base;
  // `import.meta.url` names the calling module: its folder is the base
  if (text.startsWith("file:"))
    return text.endsWith("/") ? fileURLToPath(text) : dirname(fileURLToPath(text));
  return resolve(text);
}

function modulePath(module: string | URL, base: () => string): string {
  if (module instanceof URL || module.startsWith("file:")) return fileURLToPath(module);
  return isAbsolute(module) ? module : resolve(base(), module);
}

/**
 * A js task: the export `exportName` (default `default`) of `module` — a path relative to the
 * calling module, an absolute path, or a file URL such as `new URL("./t.ts", import.meta.url)`.
 * Give the function's type to check the job's inputs: `js<typeof tasks.square>("./tasks.ts", "square")`.
 */
export function js<F extends TaskFn = TaskFn>(
  module: string | URL,
  exportName = "default",
  options: { name?: string; base?: string | URL } = {},
): JsTaskDef<F> {
  const path = modulePath(module, () => baseDir(options.base));
  return { js: `${path}#${exportName}`, ...(options.name ? { name: options.name } : {}) };
}

export function sh(
  command: string,
  options: { name?: string; env?: Record<string, string> } = {},
): ShTaskDef {
  return { sh: command, ...options };
}

export interface JobDef<F extends TaskFn = TaskFn> {
  sh?: string;
  js?: JsTaskDef<F> | string;
  py?: PyTaskDef | string;
  tasks?: TaskDef[];
  /** Jobs that must complete first; jobs whose outputs `inputs` reference are added by themselves. */
  parents?: (JobHandle | string)[];
  inputs?: NoInfer<Inputs<InputsOf<F>>>;
  resources?: Resources;
  worker?: string;
  category?: string;
  priority?: number;
  metadata?: JsonObject;
  allowFailedParents?: boolean;
}

/** A job added to a builder; `O` is its output's type (from a typed js task). */
export class JobHandle<O = unknown> {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  /**
   * A reference to this job's output, or to a path inside it ("energy.total", "values[0]"). A
   * path's type is not checked: give it (`output<number>("n")`) to have the input checked.
   */
  // biome-ignore lint/suspicious/noExplicitAny: an untyped job's output fits any input
  output(): OutputRef<unknown extends O ? any : O>;
  // biome-ignore lint/suspicious/noExplicitAny: an untyped path fits any input
  output<T = any>(path: string): OutputRef<T>;
  output(path = ""): OutputRef {
    return ref(this.name, path);
  }

  /** A reference to one field of a typed job's output, with that field's type. */
  field<K extends keyof O & string>(key: K): OutputRef<O[K]> {
    return ref(this.name, key);
  }
}

export class FlowBuilder {
  readonly #name: string;
  readonly #metadata: JsonObject;
  readonly #base: string;
  readonly #jobs: Record<string, unknown>[] = [];
  readonly #parents = new Map<string, Set<string>>();

  constructor(name: string, metadata: JsonObject = {}, options: { base?: string | URL } = {}) {
    this.#name = name;
    this.#metadata = metadata;
    this.#base = baseDir(options.base);
  }

  job<F extends TaskFn = TaskFn>(name: string, def: JobDef<F>): JobHandle<OutputOf<F>> {
    const { parents, js: jsDef, py: pyDef, tasks, ...rest } = def;
    const given = (parents ?? []).map((p) => (typeof p === "string" ? p : p.name));
    const all = new Set(given);
    // jobflow's rule: a job whose inputs read another job's output runs after it (a reference
    // to a job not added yet is left for build() to report)
    for (const r of safeReferences(def.inputs))
      if (r !== name && this.#parents.has(r) && !this.#isAncestor(r, all)) all.add(r);
    this.#parents.set(name, all);
    const resolveJs = (spec: string) => {
      const hash = spec.lastIndexOf("#");
      const path = hash === -1 ? spec : spec.slice(0, hash);
      const exportName = hash === -1 ? "" : spec.slice(hash);
      return `${modulePath(path, () => this.#base)}${exportName}`;
    };
    this.#jobs.push({
      name,
      ...rest,
      ...(jsDef === undefined ? {} : { js: resolveJs(typeof jsDef === "string" ? jsDef : jsDef.js) }),
      ...(pyDef === undefined ? {} : { py: typeof pyDef === "string" ? pyDef : pyDef.py }),
      ...(tasks ? { tasks: tasks.map((t) => ("js" in t ? { ...t, js: resolveJs(t.js) } : t)) } : {}),
      ...(all.size > 0 ? { parents: [...all] } : {}),
    });
    return new JobHandle(name);
  }

  /** Is `job` among the ancestors reachable through `parents` (already known jobs only)? */
  #isAncestor(job: string, parents: ReadonlySet<string>): boolean {
    const seen = new Set<string>();
    const stack = [...parents];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (p === job) return true;
      if (seen.has(p)) continue;
      seen.add(p);
      stack.push(...(this.#parents.get(p) ?? []));
    }
    return false;
  }

  /** Validate and return the spec. Throws ValidationError naming the job and field. */
  build(): FlowSpec {
    // a copy through JSON text, with the RawNumbers of floatJson kept (model/json.ts)
    const raw = parseJson(stringifyJson({ name: this.#name, metadata: this.#metadata, jobs: this.#jobs }));
    return flowSpecFromObject(raw, { source: `flow "${this.#name}" (builder)`, baseDir: this.#base });
  }
}

/** Referenced job names; a malformed reference is left for build() to report with its location. */
function safeReferences(inputs: unknown): string[] {
  try {
    return [...new Set(findReferences(inputs).map((r) => r.job))];
  } catch {
    return [];
  }
}

/** A new flow. Relative module paths in it resolve against the calling module (or `base`). */
export function flow(
  name: string,
  metadata: JsonObject = {},
  options: { base?: string | URL } = {},
): FlowBuilder {
  return new FlowBuilder(name, metadata, options.base === undefined ? { base: callerDir() } : options);
}
