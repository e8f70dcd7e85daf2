/** `ferry init [dir]`: write a commented ferry.yaml. */
import { resolve } from "node:path";
import { initProject } from "../../api/init.ts";
import type { CliContext } from "../context.ts";
import { fmt, json } from "../output.ts";

export async function init(
  ctx: CliContext,
  o: { database?: string; force?: boolean; json?: boolean },
  [dir]: readonly [string | undefined],
): Promise<undefined> {
  const r = initProject({
    dir: resolve(ctx.cwd, dir ?? "."),
    ...(o.database ? { database: o.database } : {}),
    ...(o.force ? { force: true } : {}),
  });
  ctx.out.write(o.json ? json(r) : fmt`wrote ${r.file}\n`);
  return undefined;
}
