/** `ferry import fireworks FILE`: convert a FireWorks workflow file and add it (or write it). */
import type { CliContext } from "../context.ts";
import { fmt, json } from "../output.ts";
import { addedLine } from "./add.ts";

export async function importFireworks(
  ctx: CliContext,
  o: { write?: string; json?: boolean },
  [file]: readonly [string],
): Promise<undefined> {
  const project = await ctx.project();
  const r = await project.importFireworks(file, o.write ? { write: o.write } : {});
  if (o.json) {
    ctx.out.write(json(r));
    return undefined;
  }
  for (const w of r.warnings) ctx.out.error(fmt`warning: Firework ${w.fwId} (job ${w.job}): ${w.message}\n`);
  ctx.out.write(r.added ? addedLine(r.added) : fmt`wrote ${r.written ?? ""}\n`);
  const viaPython = Object.entries(r.runs)
    .filter(([, how]) => how === "py")
    .map(([name]) => name);
  if (viaPython.length > 0) ctx.out.write(fmt`through FireWorks on the node: ${viaPython.join(", ")}\n`);
  return undefined;
}
