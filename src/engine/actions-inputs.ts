/**
 * updateChildren / modifyChildren: pure edits of one job's inputs (the engine decides which jobs).
 * Paths are dotted ("a.b.c"), as in MongoDB's update operators rather than FireWorks' "a->b->c",
 * because a dot cannot appear in a job name or a reference path segment anyway. A wrong type is
 * an error naming the path and what is there: silently turning a string into a list (or dropping
 * the edit) would hand the child inputs nobody wrote.
 */
import type { Action } from "../model/action.ts";
import {
  cloneJson,
  floatJson,
  isFloatSpelled,
  isPlainObject,
  type JsonObject,
  type JsonValue,
  jsonNumber,
} from "../model/json.ts";

export class EditError extends Error {
  override name = "EditError";
}

type Modify = NonNullable<Action["modifyChildren"]>;
type Container = JsonObject | JsonValue[];

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (isPlainObject(v)) return "an object";
  return `a ${jsonNumber(v) !== null ? "number" : typeof v} (${JSON.stringify(v).slice(0, 40)})`;
}

function indexIn(arr: JsonValue[], part: string, at: string): number {
  if (!/^\d+$/.test(part)) throw new EditError(`"${at}" is an array: use a numeric index, not "${part}"`);
  const i = Number(part);
  if (i >= arr.length) throw new EditError(`"${at}" has ${arr.length} element(s): no index ${i}`);
  return i;
}

/**
 * The container holding the last part of `path`, and that part. Missing objects on the way are
 * created when `create`; otherwise null is returned for a missing step.
 */
function locate(root: JsonObject, path: string, create: boolean): [Container, string] | null {
  const parts = path.split(".");
  // assigning to "__proto__" would change an object's prototype instead of adding a key
  if (parts.includes("__proto__")) throw new EditError('"__proto__" cannot be used as a key');
  let cur: Container = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const at = parts.slice(0, i + 1).join(".");
    let next: JsonValue | undefined;
    if (Array.isArray(cur)) next = cur[indexIn(cur, part, parts.slice(0, i).join("."))];
    else {
      next = Object.hasOwn(cur, part) ? cur[part] : undefined;
      if (next === undefined) {
        if (!create) return null;
        next = {};
        cur[part] = next;
      }
    }
    if (!Array.isArray(next) && !isPlainObject(next))
      throw new EditError(`"${at}" holds ${describe(next)}, not an object`);
    cur = next as Container;
  }
  return [cur, parts.at(-1)!];
}

/** The path of the container holding the last part of `path`. */
const up = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf(".")));

function read(c: Container, key: string, path: string): JsonValue | undefined {
  return Array.isArray(c) ? c[indexIn(c, key, up(path))] : Object.hasOwn(c, key) ? c[key] : undefined;
}

function write(c: Container, key: string, value: JsonValue, path: string): void {
  if (Array.isArray(c)) c[indexIn(c, key, up(path))] = value;
  else c[key] = value;
}

/** updateChildren: set top-level keys (values are copied, never shared between children). */
export function updateInputs(inputs: JsonObject, update: JsonObject): JsonObject {
  return { ...inputs, ...cloneJson(update) };
}

/** Run one operator at one path; errors name both. */
function at(op: string, path: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof EditError)) throw e;
    throw new EditError(`${op} "${path}": ${e.message}`);
  }
}

/** modifyChildren: set, unset, push, pushAll, inc — in that order. Throws EditError. */
export function modifyInputs(inputs: JsonObject, mod: Modify): JsonObject {
  const out = cloneJson(inputs);
  for (const [path, value] of Object.entries(mod.set ?? {})) {
    at("set", path, () => {
      const [c, key] = locate(out, path, true)!;
      write(c, key, cloneJson(value), path);
    });
  }
  for (const path of mod.unset ?? []) {
    at("unset", path, () => {
      const found = locate(out, path, false);
      if (!found) return;
      const [c, key] = found;
      if (Array.isArray(c)) throw new EditError("unset removes object keys, not array elements");
      delete c[key];
    });
  }
  const append = (op: string, path: string, values: JsonValue[]) =>
    at(op, path, () => {
      const [c, key] = locate(out, path, true)!;
      const there = read(c, key, path);
      if (there === undefined) write(c, key, cloneJson(values), path);
      else if (Array.isArray(there)) there.push(...cloneJson(values));
      else throw new EditError(`it holds ${describe(there)}, not an array`);
    });
  for (const [path, value] of Object.entries(mod.push ?? {})) append("push", path, [value]);
  for (const [path, values] of Object.entries(mod.pushAll ?? {})) append("pushAll", path, values);
  for (const [path, by] of Object.entries(mod.inc ?? {})) {
    at("inc", path, () => {
      const [c, key] = locate(out, path, true)!;
      const there = read(c, key, path);
      const a = jsonNumber(there);
      if (there === undefined) write(c, key, by, path);
      else if (a === null) throw new EditError(`it holds ${describe(there)}, not a number`);
      else {
        // a float stays a float: 1.0 + 1 is 2.0, as in Python
        const sum = a + jsonNumber(by)!;
        write(c, key, isFloatSpelled(there) || isFloatSpelled(by) ? floatJson(sum) : sum, path);
      }
    });
  }
  return out;
}
