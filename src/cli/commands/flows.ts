/** `ferry flows list|show`. */
import type { CliContext } from "../context.ts";
import { json } from "../output.ts";
import { printFlow, printFlows } from "../print.ts";

export async function list(
  ctx: CliContext,
  o: {
    state?: string[];
    name?: string;
    since?: string;
    until?: string;
    limit?: number;
    offset?: number;
    json?: boolean;
  },
): Promise<undefined> {
  const project = await ctx.project();
  const flows = await project.flows({
    limit: o.limit ?? 100,
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
    ...(o.state ? { states: o.state } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
  });
  if (o.json) ctx.out.write(json(flows));
  else printFlows(ctx.out, flows);
  return undefined;
}

export async function show(
  ctx: CliContext,
  o: { json?: boolean },
  [id]: readonly [number],
): Promise<undefined> {
  const d = await (await ctx.project()).flow(id);
  if (o.json) ctx.out.write(json(d));
  else printFlow(ctx.out, d);
  return undefined;
}
