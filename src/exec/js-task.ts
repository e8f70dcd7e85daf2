/**
 * The compute-side runtime for js tasks. It is bundled with the task modules into the launch
 * directory's worker.mjs and runs as `node worker.mjs task <i>` from run.sh. It imports nothing
 * that touches a database (ARCHITECTURE.md: exec/ runs on compute nodes).
 *
 * A task is an exported function `(inputs, context) => output | Promise<output>`. Its return value
 * is the output; to return an action too, return `{ output, $action: {...} }` (see withAction).
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface TaskContext {
  jobId: number;
  jobName: string;
  runId: number;
  flowId: number;
  task: number;
  launchDir: string;
}

export type TaskFunction = (inputs: Record<string, unknown>, context: TaskContext) => unknown;

/** Marks a return value as "output plus action" (the only key ferry reserves in return values). */
export const ACTION_KEY = "$action";

export function withAction(output: unknown, action: Record<string, unknown>): Record<string, unknown> {
  return output === undefined ? { [ACTION_KEY]: action } : { output, [ACTION_KEY]: action };
}

/** Split a task's return value into output and action. */
export function splitReturn(value: unknown): {
  output: unknown;
  action: Record<string, unknown> | undefined;
} {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && ACTION_KEY in value) {
    const { [ACTION_KEY]: action, ...rest } = value as Record<string, unknown>;
    return { output: "output" in rest ? rest.output : undefined, action: action as Record<string, unknown> };
  }
  return { output: value, action: undefined };
}

function writeAtomicSync(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Actions that change the graph or stop the flow skip the job's remaining tasks (FireWorks' rule). */
function skipsRemainingTasks(action: Record<string, unknown>): boolean {
  return ["exit", "addJobs", "addFlow", "detour", "replace", "stopChildren", "stopFlow"].some(
    (k) => action[k] !== undefined && action[k] !== false,
  );
}

type TaskTable = Record<number, readonly [Record<string, unknown>, string]>;

export async function runJsTaskMain(table: TaskTable, argv = process.argv.slice(2)): Promise<void> {
  const [command, indexText] = argv;
  const index = Number(indexText);
  const entry = table[index];
  if (command !== "task" || entry === undefined) {
    process.stderr.write(
      `usage: node worker.mjs task <index> (tasks here: ${Object.keys(table).join(", ")})\n`,
    );
    process.exit(2);
  }
  const [module, exportName] = entry;
  const env = process.env;
  const context: TaskContext = {
    jobId: Number(env.FERRY_JOB_ID),
    jobName: env.FERRY_JOB_NAME ?? "",
    runId: Number(env.FERRY_RUN_ID),
    flowId: Number(env.FERRY_FLOW_ID),
    task: index,
    launchDir: env.FERRY_LAUNCH_DIR ?? process.cwd(),
  };
  const taskDir = dirname(
    env.FERRY_OUTPUTS ?? join(context.launchDir, "_ferry", "tasks", String(index), "output.json"),
  );
  try {
    const fn = module[exportName];
    if (typeof fn !== "function") {
      throw new Error(
        `the module has no exported function "${exportName}" (exports: ${Object.keys(module).join(", ") || "none"})`,
      );
    }
    const inputs = JSON.parse(
      readFileSync(env.FERRY_INPUTS ?? join(context.launchDir, "_ferry", "inputs.json"), "utf8"),
    );
    const { output, action } = splitReturn(await (fn as TaskFunction)(inputs, context));
    if (output !== undefined) writeAtomicSync(join(taskDir, "output.json"), `${JSON.stringify(output)}\n`);
    if (action !== undefined) {
      writeAtomicSync(join(taskDir, "action.json"), `${JSON.stringify(action)}\n`);
      if (skipsRemainingTasks(action)) writeFileSync(join(taskDir, "stop"), "");
    }
    process.exitCode = 0;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const stack = err.stack ?? `${err.name}: ${err.message}`;
    writeAtomicSync(
      join(taskDir, "error.json"),
      `${JSON.stringify({ name: err.name, message: err.message, stack })}\n`,
    );
    process.stderr.write(`${stack}\n`);
    process.exitCode = 1;
  }
}
