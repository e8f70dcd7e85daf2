/** `ferry import fireworks FILE`: convert a FireWorks workflow file and add it (or write it). */
import { writeFileSync } from "node:fs";
import { type AddedFlow, addFlows } from "../../engine/add-flow.ts";
import { importFireworksFile, type SpecWarning } from "../../import/fireworks/index.ts";
import type { Context } from "../context.ts";

export interface FireworksImport {
  /** The flow added, or null with --write. */
  added: AddedFlow | null;
  written: string | null;
  /** Spec keys ferry ignored or kept uninterpreted, by Firework. */
  warnings: (SpecWarning & { job: string })[];
  /** ferry job name → "sh" (runs with no Python) or "py" (runs through FireWorks on the node) */
  runs: Record<string, "sh" | "py">;
}

export async function importFireworks(
  ctx: Context,
  file: string,
  o: { write?: string },
): Promise<FireworksImport> {
  const imported = importFireworksFile(file);
  const nameOf = new Map(
    imported.spec.jobs.map((j) => [Number((j.metadata.fireworks as { fw_id: number }).fw_id), j.name]),
  );
  const warnings = imported.warnings.map((w) => ({ ...w, job: nameOf.get(w.fwId)! }));
  const runs = Object.fromEntries(
    Object.entries(imported.runs).map(([id, how]) => [nameOf.get(Number(id))!, how]),
  );
  if (o.write) {
    writeFileSync(o.write, `${JSON.stringify(imported.flow, null, 2)}\n`);
    return { added: null, written: o.write, warnings, runs };
  }
  const [added] = await addFlows(await ctx.store({ create: true }), [imported.spec]);
  return { added: added!, written: null, warnings, runs };
}
