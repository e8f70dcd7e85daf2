/** `ferry flows pause|resume|cancel|reignite|archive|delete IDS…|--all`: the change on every job of the flows. */
import { UsageError } from "../../model/errors.ts";
import type { CliContext } from "../context.ts";
import { archive, type ChangeFlags, remove, simple } from "./change.ts";

type FlowVerb = "pause" | "resume" | "cancel" | "reignite" | "archive" | "delete";

export function flowChange(verb: FlowVerb) {
  return async (
    ctx: CliContext,
    o: Pick<ChangeFlags, "all" | "dryRun" | "yes" | "json"> & { force?: boolean; files?: boolean },
    [ids]: readonly [number[] | undefined],
  ): Promise<undefined> => {
    const flows = ids ?? [];
    if (flows.length === 0 && !o.all)
      throw new UsageError(`flows ${verb} needs flow ids or --all; nothing was changed`);
    if (flows.length > 0 && o.all) throw new UsageError("--all cannot be combined with flow ids");
    const flags = { ...o, ...(flows.length > 0 ? { flow: flows, all: false } : { all: true }) };
    if (verb === "archive") return archive(ctx, flags);
    if (verb === "delete") return remove(ctx, flags);
    return simple(verb)(ctx, flags);
  };
}
