/**
 * `ferry import fireworks FILE`: a FireWorks workflow file (`lpad add` format) → a ferry flow.
 *
 * Why the converter is TypeScript (here) and not in the Python bridge: a workflow of shell steps
 * then imports and runs with no Python anywhere (ScriptTask, FileWriteTask and local
 * FileTransferTask become sh tasks), the import is checked by the same schema and reports the
 * same errors and exit codes as `ferry add`, and it writes the flow in the same transaction. Only
 * Fireworks that need FireWorks' own classes run through Python, on the node. The Fireworks an
 * FWAction adds at run time are converted by the Python runtime (it runs FireWorks already), with
 * the same spec-key table (python/ferry_jobflow/fireworks/spec.py).
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { flowSpecFromObject, parseFlowText } from "../../flow/parse.ts";
import { ValidationError } from "../../model/errors.ts";
import type { FlowSpec } from "../../model/types.ts";
import { type ConvertedWorkflow, convertWorkflow } from "./convert.ts";
import { readFireworks } from "./read.ts";

export interface ImportedFireworks extends ConvertedWorkflow {
  spec: FlowSpec;
}

export function importFireworksFile(path: string): ImportedFireworks {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ValidationError(`cannot read ${path}`, [{ file: path, message: (e as Error).message }]);
  }
  const converted = convertWorkflow(readFireworks(parseFlowText(text, path), path));
  const spec = flowSpecFromObject(converted.flow, { source: path, baseDir: dirname(resolve(path)) });
  return { ...converted, spec };
}

export type { SpecWarning } from "./spec-keys.ts";
