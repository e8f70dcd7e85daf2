/**
 * The few error classes ferry throws. Each carries data and says whether retrying can help
 * (Temporal's `nonRetryable`); the CLI maps each kind to one documented exit code
 * (cli/exit-codes.ts). Messages say what happened and what to do next.
 */

export type ErrorKind =
  | "usage"
  | "invalid"
  | "not-found"
  | "conflict"
  | "database"
  | "scheduler"
  | "transport"
  | "interrupted"
  | "internal";

export interface FerryErrorOptions {
  cause?: unknown;
  retryable?: boolean;
}

export class FerryError extends Error {
  override name = "FerryError";
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  constructor(kind: ErrorKind, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? false;
  }
}

/** A command-line mistake: missing selector, conflicting flags. */
export class UsageError extends FerryError {
  override name = "UsageError";
  constructor(message: string) {
    super("usage", message);
  }
}

/** One problem in a user file, located as precisely as we can. */
export interface Issue {
  file?: string;
  job?: string;
  field?: string;
  message: string;
}

export function formatIssue(issue: Issue): string {
  const where = [
    issue.file,
    issue.job === undefined ? undefined : `job "${issue.job}"`,
    issue.field === undefined ? undefined : `field "${issue.field}"`,
  ]
    .filter((x) => x !== undefined)
    .join(", ");
  return where === "" ? issue.message : `${where}: ${issue.message}`;
}

/** Invalid flow file, project file, query or action: nothing was written. */
export class ValidationError extends FerryError {
  override name = "ValidationError";
  readonly issues: readonly Issue[];
  constructor(summary: string, issues: readonly Issue[]) {
    super("invalid", [summary, ...issues.map((i) => `  - ${formatIssue(i)}`)].join("\n"));
    this.issues = issues;
  }
}

export class NotFoundError extends FerryError {
  override name = "NotFoundError";
  constructor(message: string) {
    super("not-found", message);
  }
}

/** A state change that was refused (e.g. rerun of a running job without --force). */
export class ConflictError extends FerryError {
  override name = "ConflictError";
  readonly jobIds: readonly number[];
  constructor(message: string, jobIds: readonly number[] = []) {
    super("conflict", message);
    this.jobIds = jobIds;
  }
}

/** The database is unreachable, locked, too new or corrupt. */
export class StoreError extends FerryError {
  override name = "StoreError";
  constructor(message: string, options: FerryErrorOptions = {}) {
    super("database", message, options);
  }
}

/** A batch-system command failed (submit, status, cancel). */
export class SchedulerError extends FerryError {
  override name = "SchedulerError";
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(
    message: string,
    details: { command: string; exitCode: number | null; stderr: string },
    options: FerryErrorOptions = {},
  ) {
    super("scheduler", message, { retryable: true, ...options });
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
  }
}

/** A file or process primitive failed (local filesystem or SSH). */
export class TransportError extends FerryError {
  override name = "TransportError";
  readonly path: string | undefined;
  /** Set when a read was refused on purpose (transport/types.ts ReadOptions). */
  readonly refusal: "not-a-file" | "too-large" | "outside" | "unreadable" | undefined;
  constructor(
    message: string,
    options: FerryErrorOptions & {
      path?: string;
      refusal?: "not-a-file" | "too-large" | "outside" | "unreadable";
    } = {},
  ) {
    super("transport", message, { retryable: true, ...options });
    this.path = options.path;
    this.refusal = options.refusal;
  }
}

export class InterruptedError extends FerryError {
  override name = "InterruptedError";
  constructor(message = "interrupted") {
    super("interrupted", message);
  }
}

/** Normalise anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === "object" && err !== null && "message" in err) {
    const e = new Error(String((err as { message: unknown }).message));
    Object.assign(e, err);
    return e;
  }
  return new Error(typeof err === "string" ? err : `non-error thrown: ${JSON.stringify(err)}`);
}

export function errorMessage(err: unknown): string {
  return coerceError(err).message;
}
