/** `ferry exec DIR`: run a job bundle by hand, in the foreground; exits with the wrapper's code. */
import { resolve } from "node:path";
import { execBundle } from "../../api/exec.ts";
import type { CliContext } from "../context.ts";

export async function exec(ctx: CliContext, _o: unknown, [dir]: readonly [string]): Promise<number> {
  return execBundle(resolve(ctx.cwd, dir), ctx.env);
}
