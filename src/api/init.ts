/** `ferry init`: write a commented ferry.yaml into a folder. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT_FILE } from "../config/load.ts";
import { projectTemplate } from "../config/template.ts";
import { ConflictError } from "../model/errors.ts";

export interface InitOptions {
  /** The project folder (created if missing; default: the current folder). */
  dir?: string;
  /** postgres://… or a SQLite path (default: .ferry/ferry.db). */
  database?: string;
  /** Overwrite an existing ferry.yaml. */
  force?: boolean;
}

export function initProject(o: InitOptions = {}): { file: string } {
  const dir = resolve(o.dir ?? ".");
  const file = join(dir, PROJECT_FILE);
  if (existsSync(file) && !o.force)
    throw new ConflictError(`${file} already exists (use --force to overwrite it)`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, projectTemplate(o.database ? { database: o.database } : {}));
  return { file };
}
