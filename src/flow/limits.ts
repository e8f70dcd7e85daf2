/**
 * Limits a flow is checked against when it is added, so that what would fail at run time — on a
 * compute node, hours later — is refused at `ferry add` with the field named (issue #8: of 2,800
 * fuzzed flow files, 69 exited 1 or 5 where 3 is right).
 *
 * - Job names: a launch directory is `<job name>-<run id>`, and a file name stops at 255 bytes
 *   (NAME_MAX on ext4, XFS, Lustre, GPFS); 200 leaves room for any run id.
 * - A sh task's command reaches `exec sh -c <command>` as one argument, and each task env entry
 *   is one `KEY=value` string: Linux refuses a string over MAX_ARG_STRLEN (128 KiB, including
 *   its NUL) with E2BIG, and all of them together over ARG_MAX (2 MiB with the usual 8 MiB
 *   stack). A task's env is held to 512 KiB in all, with exported inputs (bundle/wrapper.ts) at
 *   most 256 KiB, so the whole environment stays well under ARG_MAX.
 * - Text everywhere: no NUL, no unpaired surrogate (json-check.ts); values nest at most 64 levels.
 */
import { checkJson, type JsonProblem, MAX_JSON_DEPTH } from "./json-check.ts";

export const MAX_JOB_NAME_LENGTH = 200;
export const MAX_TASKS_PER_JOB = 1000;
/** Linux MAX_ARG_STRLEN: one argument or `KEY=value` environment string, NUL included. */
export const MAX_ARG_STRLEN = 128 * 1024;
export const MAX_TASK_ENV_BYTES = 512 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Why `command` cannot be passed to `sh -c`, or null. */
export function commandProblem(command: string): string | null {
  const n = utf8(command) + 1;
  return n > MAX_ARG_STRLEN
    ? `the command is ${n} bytes; one argument is limited to ${MAX_ARG_STRLEN} (MAX_ARG_STRLEN): put the script in a file`
    : null;
}

/** Problems of a task's env (one message per key), and of its total size. */
export function envProblems(env: Readonly<Record<string, string>>): { key?: string; message: string }[] {
  const out: { key?: string; message: string }[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(env)) {
    const n = utf8(`${k}=${v}`) + 1;
    total += n;
    if (n > MAX_ARG_STRLEN) {
      out.push({
        key: k,
        message: `${k}=… is ${n} bytes; one environment string is limited to ${MAX_ARG_STRLEN} (MAX_ARG_STRLEN): pass it as an input (inputs.json) instead`,
      });
    }
  }
  if (total > MAX_TASK_ENV_BYTES)
    out.push({ message: `the env is ${total} bytes in all; at most ${MAX_TASK_ENV_BYTES} are allowed` });
  return out;
}

/**
 * Checks on the raw document, before the schema: nesting (zod's recursive JSON schema overflows
 * the stack on deep values) and text no database can store. The flow's own structure adds at
 * most 4 levels (`jobs[i].tasks[j]`) to a value's depth.
 */
export function documentProblems(raw: unknown): JsonProblem[] {
  return checkJson(raw, { maxDepth: MAX_JSON_DEPTH + 4 }).map((p) =>
    p.message.startsWith("nested more than")
      ? {
          ...p,
          message: `nested too deep: inputs, metadata and other values nest at most ${MAX_JSON_DEPTH} levels`,
        }
      : p,
  );
}
