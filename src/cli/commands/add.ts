/** `ferry add FILE…`: validate every file first, then add all flows in one transaction. */
import { type AddedFlow, addFlows } from "../../engine/add-flow.ts";
import { loadFlowFile } from "../../flow/parse.ts";
import type { FlowSpec } from "../../model/types.ts";
import type { Context } from "../context.ts";

export async function add(ctx: Context, files: readonly string[]): Promise<AddedFlow[]> {
  const specs: FlowSpec[] = files.map((f) => loadFlowFile(f));
  return addFlows(await ctx.store({ create: true }), specs);
}
