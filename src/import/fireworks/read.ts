/**
 * Read a FireWorks workflow file (the `lpad add` format, JSON or YAML) into a plain shape:
 *
 *   fws: [{fw_id, name?, spec: {_tasks: [...], ...}}], links: {parent: [children]}, metadata: {}, name?
 *
 * or a single Firework (`spec:` at the top, as `Firework.from_file` reads). FireWorks' own
 * loader (`Workflow.from_dict`) requires `metadata` beside `fws` and links that name exactly the
 * listed Fireworks; the ids are labels only (lpad reassigns them), and a scalar link value means
 * one child. Problems are ValidationError issues naming the file and the Firework.
 */

import { parseFlowText } from "../../flow/parse.ts";
import { type Issue, ValidationError } from "../../model/errors.ts";
import { isPlainObject, type JsonObject, type JsonValue } from "../../model/json.ts";

export interface Firework {
  id: number;
  name: string | undefined;
  spec: JsonObject;
  tasks: JsonObject[];
}

export interface FireworksWorkflow {
  name: string | undefined;
  metadata: JsonObject;
  fws: Firework[];
  /** fw_id → parent fw_ids, in file order */
  parents: Map<number, number[]>;
}

function readFirework(raw: unknown, where: string, issues: Issue[], file: string): Firework | null {
  if (!isPlainObject(raw)) {
    issues.push({ file, field: where, message: "a Firework is an object with spec (and fw_id, name)" });
    return null;
  }
  const spec = raw.spec;
  const id = raw.fw_id ?? -1;
  if (typeof id !== "number" || !Number.isInteger(id)) {
    issues.push({
      file,
      field: `${where}.fw_id`,
      message: `fw_id must be an integer, got ${JSON.stringify(id)}`,
    });
    return null;
  }
  if (!isPlainObject(spec) || !Array.isArray(spec._tasks) || !spec._tasks.every(isPlainObject)) {
    issues.push({
      file,
      field: `${where}.spec._tasks`,
      message: "a Firework needs spec._tasks, a list of Firetasks",
    });
    return null;
  }
  const name = typeof raw.name === "string" ? raw.name : undefined;
  return { id, name, spec: spec as JsonObject, tasks: spec._tasks as JsonObject[] };
}

export function readFireworks(raw: unknown, file: string): FireworksWorkflow {
  const issues: Issue[] = [];
  if (!isPlainObject(raw))
    throw new ValidationError(`invalid FireWorks file ${file}`, [{ file, message: "expected an object" }]);
  if (!("fws" in raw)) {
    const fw = readFirework(raw, "(single Firework)", issues, file);
    if (!fw) throw new ValidationError(`invalid FireWorks file ${file}`, issues);
    return { name: fw.name, metadata: {}, fws: [fw], parents: new Map([[fw.id, []]]) };
  }
  if (!Array.isArray(raw.fws) || raw.fws.length === 0)
    issues.push({ file, field: "fws", message: "fws must be a non-empty list" });
  if (!isPlainObject(raw.metadata))
    issues.push({
      file,
      field: "metadata",
      message: "metadata is required beside fws (FireWorks' Workflow.from_dict reads it)",
    });
  const fws: Firework[] = [];
  for (const [i, entry] of (Array.isArray(raw.fws) ? raw.fws : []).entries()) {
    const fw = readFirework(entry, `fws[${i}]`, issues, file);
    if (fw && fws.some((f) => f.id === fw.id))
      issues.push({ file, field: `fws[${i}].fw_id`, message: `duplicate fw_id ${fw.id}` });
    else if (fw) fws.push(fw);
  }
  const ids = new Set(fws.map((f) => f.id));
  const parents = new Map<number, number[]>(fws.map((f) => [f.id, []]));
  const links = raw.links ?? {};
  if (!isPlainObject(links))
    issues.push({ file, field: "links", message: "links is an object {parent: [children]}" });
  else {
    for (const [parentText, value] of Object.entries(links)) {
      const parent = Number(parentText);
      const children: JsonValue[] = Array.isArray(value) ? value : [value as JsonValue];
      if (!ids.has(parent)) {
        issues.push({
          file,
          field: `links.${parentText}`,
          message: `links name Firework ${parentText}, which is not in fws`,
        });
        continue;
      }
      for (const child of children) {
        if (typeof child !== "number" || !ids.has(child)) {
          issues.push({
            file,
            field: `links.${parentText}`,
            message: `links name Firework ${JSON.stringify(child)}, which is not in fws`,
          });
        } else if (!parents.get(child)!.includes(parent)) parents.get(child)!.push(parent);
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(`invalid FireWorks file ${file}`, issues);
  return {
    name: typeof raw.name === "string" ? raw.name : undefined,
    metadata: raw.metadata as JsonObject,
    fws,
    parents,
  };
}

export { parseFlowText as parseFireworksText };
