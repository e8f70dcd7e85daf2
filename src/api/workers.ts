/** Picking a worker by name for a command, with the mode that command needs. */
import { getWorker, type ResolvedProject, type ResolvedWorker } from "../config/load.ts";
import { UsageError } from "../model/errors.ts";

const HOW: Record<ResolvedWorker["mode"], string> = {
  pull: "ferry launch runs it",
  offline: "ferry offline submit / recover drive it",
  managed: "the runner drives it",
};

/** A worker name given by a user: never empty (an empty --worker would select every worker). */
export function checkWorkerName(name: string | undefined): void {
  if (name !== undefined && name.trim() === "")
    throw new UsageError("--worker needs a worker name, got an empty one");
}

/**
 * The named worker (default: `fallback`, else the project's default), which must be of `mode`;
 * an unknown name is NotFound, a worker of another mode a usage error saying what runs it.
 */
export function workerOfMode<M extends ResolvedWorker["mode"]>(
  project: ResolvedProject,
  name: string | undefined,
  mode: M,
  command: string,
  fallback?: (w: ResolvedWorker) => boolean,
): Extract<ResolvedWorker, { mode: M }> {
  checkWorkerName(name);
  const candidate = name ?? (fallback ? Object.values(project.workers).find(fallback)?.name : undefined);
  if (name === undefined && fallback && candidate === undefined)
    throw new UsageError(`${command} needs ${article(mode)} ${mode} worker; ${project.file} has none`);
  const worker = getWorker(project, candidate);
  if (worker.mode !== mode)
    throw new UsageError(
      `worker "${worker.name}" is ${article(worker.mode)} ${worker.mode} worker (${HOW[worker.mode]}); ${command} needs ${article(mode)} ${mode} worker`,
    );
  return worker as Extract<ResolvedWorker, { mode: M }>;
}

/** "an offline worker", "a pull worker". */
function article(mode: string): string {
  return /^[aeiou]/.test(mode) ? "an" : "a";
}
