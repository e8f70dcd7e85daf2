/** `ferry init`: write a commented ferry.yaml. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT_FILE } from "../../config/load.ts";
import { projectTemplate } from "../../config/template.ts";
import { ConflictError } from "../../model/errors.ts";

export interface InitOptions {
  dir?: string;
  database?: string;
  force?: boolean;
}

export function init(cwd: string, o: InitOptions): { file: string } {
  const dir = resolve(cwd, o.dir ?? ".");
  const file = join(dir, PROJECT_FILE);
  if (existsSync(file) && !o.force)
    throw new ConflictError(`${file} already exists (use --force to overwrite it)`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, projectTemplate(o.database ? { database: o.database } : {}));
  return { file };
}
