/** ferry's error kinds as HTTP statuses, and the message a page shows for each. */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { coerceError, type ErrorKind, FerryError } from "../../model/errors.ts";

const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  usage: 400,
  invalid: 422,
  "not-found": 404,
  database: 503,
  conflict: 409,
  scheduler: 502,
  transport: 502,
  interrupted: 503,
  internal: 500,
};

export function describeError(e: unknown): {
  status: ContentfulStatusCode;
  message: string;
  internal: boolean;
} {
  const err = coerceError(e);
  if (err instanceof FerryError) return { status: STATUS[err.kind], message: err.message, internal: false };
  return { status: 500, message: `internal error — please report it: ${err.message}`, internal: true };
}
