/** Adding flows: files, builders and specs, all checked before anything is written. */
import type { AddedFlow } from "../engine/add-flow.ts";
import { FlowBuilder } from "../flow/builder.ts";
import { ValidationError } from "../model/errors.ts";
import type { FlowSpec } from "../model/types.ts";
import type { ApiContext } from "./context.ts";

export type { AddedFlow };

/** A flow file path (YAML or JSON), a builder (`flow(…)`), or a validated spec. */
export type FlowInput = string | FlowBuilder | FlowSpec;

async function specOf(input: FlowInput): Promise<FlowSpec> {
  if (typeof input === "string") return (await import("../flow/parse.ts")).loadFlowFile(input);
  if (input instanceof FlowBuilder) return input.build();
  const { validateFlowSpec } = await import("../flow/validate.ts");
  const issues = validateFlowSpec(input);
  if (issues.length > 0) throw new ValidationError(`invalid flow "${input.name}"`, issues);
  return input;
}

/** Add flows in one transaction: all of them, or none (an invalid one leaves nothing behind). */
export async function addFlows(
  ctx: ApiContext,
  input: FlowInput | readonly FlowInput[],
): Promise<AddedFlow[]> {
  const list = Array.isArray(input) ? (input as readonly FlowInput[]) : [input as FlowInput];
  const specs: FlowSpec[] = [];
  for (const i of list) specs.push(await specOf(i));
  const store = await ctx.store({ create: true });
  const { addFlows: add } = await import("../engine/add-flow.ts");
  const added = await add(store, specs);
  for (const a of added)
    ctx.events.emit("flow:added", { flowId: a.flowId, name: a.name, jobIds: Object.values(a.jobIds) });
  return added;
}
