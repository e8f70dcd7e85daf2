/**
 * Bounded reads of a launch directory's files: only regular files inside the launch directory,
 * at most `maxBytes` each (Transport.read refuses FIFOs, devices, directories, link loops,
 * oversize files and links that leave the folder). What used to hang `offline recover` for every
 * run (issue #8): a FIFO in place of result.json, a link to /dev/zero. One round trip for many
 * files (`readMany`), so SSH costs the same as local.
 */
import { FerryError } from "../model/errors.ts";
import type { Transport } from "../transport/types.ts";
import { printable } from "./protocol-files.ts";

export type FileRead =
  | { kind: "missing" }
  | { kind: "text"; text: string }
  /** Exists but cannot be read now (refused, I/O error): a problem, retried. */
  | { kind: "unreadable"; problem: string };

/** A run's files cannot be collected now: report the problems on that run and retry later. */
export class BundleProblem extends FerryError {
  override name = "BundleProblem";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super("invalid", `cannot collect the run's files: ${problems.join("; ")}`, { retryable: true });
    this.problems = problems;
  }
}

function message(e: unknown): string {
  return printable(e instanceof Error ? e.message : String(e));
}

export async function readFiles(
  t: Transport,
  launchDir: string,
  files: readonly string[],
  maxBytes: number,
): Promise<Map<string, FileRead>> {
  const out = new Map<string, FileRead>();
  if (files.length === 0) return out;
  let got: Map<string, string | null | Error>;
  try {
    got = await t.readMany(files, { maxBytes, within: launchDir });
  } catch (e) {
    for (const f of files) out.set(f, { kind: "unreadable", problem: `cannot read ${f}: ${message(e)}` });
    return out;
  }
  for (const f of files) {
    const v = got.get(f);
    if (v === null) out.set(f, { kind: "missing" });
    else if (typeof v === "string") out.set(f, { kind: "text", text: v });
    else out.set(f, { kind: "unreadable", problem: `cannot read ${f}: ${message(v ?? "no answer")}` });
  }
  return out;
}

export type Parsed =
  | { kind: "missing" }
  | { kind: "value"; value: unknown }
  | { kind: "problem"; problem: string };

/** A file read as JSON (`parse`: JSON.parse, or model/json.ts's parseJson for values kept as written). */
export function parseRead(
  file: string,
  read: FileRead | undefined,
  parse: (text: string) => unknown = JSON.parse,
): Parsed {
  if (read === undefined || read.kind === "missing") return { kind: "missing" };
  if (read.kind === "unreadable") return { kind: "problem", problem: read.problem };
  try {
    return { kind: "value", value: parse(read.text) };
  } catch (e) {
    return { kind: "problem", problem: `cannot parse ${file}: ${message(e)}` };
  }
}
