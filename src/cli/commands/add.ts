/** `ferry add FILE…`: validate every file first, then add all flows in one transaction. */
import type { AddedFlow } from "../../api/add.ts";
import type { CliContext } from "../context.ts";
import { fmt, json, LISTED, plural } from "../output.ts";

export async function add(
  ctx: CliContext,
  o: { json?: boolean },
  [files]: readonly [string[]],
): Promise<undefined> {
  const project = await ctx.project();
  // as typed: errors name the file the way the user wrote it (the API reads it from this folder)
  const added = await project.add(files);
  ctx.out.write(o.json ? json(added) : added.map(addedLine).join(""));
  return undefined;
}

/** A flow's job ids, or their range for a large flow (100,000 ids help nobody on a terminal). */
export function addedLine(a: AddedFlow): string {
  const ids = Object.entries(a.jobIds);
  const head = fmt`added flow ${a.flowId} "${a.name}" with ${plural(ids.length, "job")}`;
  if (ids.length <= LISTED) return `${head}: ${ids.map(([n, id]) => fmt`${n}=${id}`).join(" ")}\n`;
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  for (const [, id] of ids) {
    low = Math.min(low, id);
    high = Math.max(high, id);
  }
  // another process adding at the same time may interleave ids: then say only where they start
  const range = high - low + 1 === ids.length ? `ids ${low}–${high}` : `ids from ${low}`;
  return `${head}, ${range} (ferry jobs list --flow ${a.flowId}; --json lists every id)\n`;
}
