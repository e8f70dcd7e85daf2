/**
 * The TypeScript builder API: the same meaning as a flow file, checked by the same schema and
 * graph validation (it builds the file form and runs it through flowSpecFromObject).
 *
 *   const f = flow("diamond");
 *   const a = f.job("a", { sh: "echo '{\"n\": 3}' > \"$FERRY_OUTPUTS\"" });
 *   const b = f.job("b", { parents: [a], js: js(new URL("./tasks.ts", import.meta.url), "square"),
 *                          inputs: { x: a.output("n") } });
 *   await ferry.addFlow(f.build());
 */
import { fileURLToPath } from "node:url";
import { type JsonObject, parseJson, stringifyJson } from "../model/json.ts";
import type { Resources } from "../model/resources.ts";
import type { FlowSpec } from "../model/types.ts";
import { flowSpecFromObject } from "./parse.ts";
import { ref } from "./references.ts";

export interface ShTaskDef {
  sh: string;
  name?: string;
  env?: Record<string, string>;
}
export interface JsTaskDef {
  js: string;
  name?: string;
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

/** A js task: an exported function of a module (a path, or a file URL such as `new URL("./t.ts", import.meta.url)`). */
export function js(module: string | URL, exportName = "default", name?: string): JsTaskDef {
  const path = module instanceof URL || module.startsWith("file:") ? fileURLToPath(module) : module;
  return { js: `${path}#${exportName}`, ...(name ? { name } : {}) };
}

export function sh(
  command: string,
  options: { name?: string; env?: Record<string, string> } = {},
): ShTaskDef {
  return { sh: command, ...options };
}

export interface JobDef {
  sh?: string;
  js?: JsTaskDef | string;
  py?: PyTaskDef | string;
  tasks?: TaskDef[];
  parents?: (JobHandle | string)[];
  inputs?: Record<string, unknown>;
  resources?: Resources;
  worker?: string;
  category?: string;
  priority?: number;
  metadata?: JsonObject;
  allowFailedParents?: boolean;
}

export class JobHandle {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  /** A reference to this job's output (or a path inside it, e.g. "energy.total" or "values[0]"). */
  output(path = ""): { $ref: string; path?: string } {
    return ref(this.name, path);
  }
}

export class FlowBuilder {
  readonly #name: string;
  readonly #metadata: JsonObject;
  readonly #jobs: Record<string, unknown>[] = [];

  constructor(name: string, metadata: JsonObject = {}) {
    this.#name = name;
    this.#metadata = metadata;
  }

  job(name: string, def: JobDef): JobHandle {
    const { parents, js: jsDef, py: pyDef, ...rest } = def;
    this.#jobs.push({
      name,
      ...rest,
      ...(jsDef === undefined ? {} : { js: typeof jsDef === "string" ? jsDef : jsDef.js }),
      ...(pyDef === undefined ? {} : { py: typeof pyDef === "string" ? pyDef : pyDef.py }),
      ...(parents ? { parents: parents.map((p) => (typeof p === "string" ? p : p.name)) } : {}),
    });
    return new JobHandle(name);
  }

  /** Validate and return the spec. Throws ValidationError naming the job and field. */
  build(): FlowSpec {
    // a copy through JSON text, with the RawNumbers of floatJson kept (model/json.ts)
    const raw = parseJson(stringifyJson({ name: this.#name, metadata: this.#metadata, jobs: this.#jobs }));
    return flowSpecFromObject(raw, { source: `flow "${this.#name}" (builder)`, baseDir: process.cwd() });
  }
}

export function flow(name: string, metadata: JsonObject = {}): FlowBuilder {
  return new FlowBuilder(name, metadata);
}
