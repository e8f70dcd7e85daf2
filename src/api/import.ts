/** Importing workflows written for other tools: FireWorks files (`lpad add` format). */
import { writeFileSync } from "node:fs";
import type { AddedFlow } from "../engine/add-flow.ts";
import type { SpecWarning } from "../import/fireworks/index.ts";
import { addFlows } from "./add.ts";
import type { ApiContext } from "./context.ts";

export interface FireworksImport {
  /** The flow added, or null with `write`. */
  added: AddedFlow | null;
  written: string | null;
  /** Spec keys ferry ignored or kept uninterpreted, by Firework. */
  warnings: (SpecWarning & { job: string })[];
  /** ferry job name → "sh" (runs with no Python) or "py" (runs through FireWorks on the node) */
  runs: Record<string, "sh" | "py">;
}

/**
 * Convert a FireWorks workflow file (paths as given: relative to the current folder, like `add`); add
 * it to the project, or with `write` only write the converted flow file.
 */
export async function importFireworks(
  ctx: ApiContext,
  file: string,
  o: { write?: string } = {},
): Promise<FireworksImport> {
  const { importFireworksFile } = await import("../import/fireworks/index.ts");
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
  const [added] = await addFlows(ctx, imported.spec);
  return { added: added!, written: null, warnings, runs };
}
