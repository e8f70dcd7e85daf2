/**
 * Documented exit codes (README "Exit codes"). One top-level handler maps error kinds to them
 * (changesets' packages/cli/src/index.ts).
 */
import type { ErrorKind } from "../model/errors.ts";

export const EXIT = {
  ok: 0,
  /** A bug in ferry: the message has a stack trace worth reporting. */
  internal: 1,
  /** Unknown command or flag, missing argument, conflicting options, no selector. */
  usage: 2,
  /** Invalid flow file, project file, query or action: nothing was written. */
  invalid: 3,
  /** Unknown job, flow, run, worker or project. */
  notFound: 4,
  /** The database is unreachable, locked, corrupt or newer than this ferry. */
  database: 5,
  /** The command ran, but some job it ran or collected failed (launch, demo, offline recover). */
  jobsFailed: 6,
  /** A state change was refused (e.g. rerun of a running job without --force) or not confirmed. */
  conflict: 7,
  /** The batch system or the transport failed (submit, status, SSH). */
  scheduler: 8,
  /** Interrupted (Ctrl+C). */
  interrupted: 130,
} as const;

export const EXIT_BY_KIND: Record<ErrorKind, number> = {
  usage: EXIT.usage,
  invalid: EXIT.invalid,
  "not-found": EXIT.notFound,
  database: EXIT.database,
  conflict: EXIT.conflict,
  scheduler: EXIT.scheduler,
  transport: EXIT.scheduler,
  interrupted: EXIT.interrupted,
  internal: EXIT.internal,
};
