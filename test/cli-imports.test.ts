/**
 * The CLI uses the public API and nothing below it (CONVENTIONS.md §15): no module under
 * src/cli/ imports engine/, store/, launcher/, offline/, qlaunch/, bundle/, config/ … — only the
 * API (src/api/), the domain vocabulary (src/model/), the version, the package's file paths,
 * Node and commander. And the command table loads no command module until its command runs.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const CLI = join(SRC, "cli");
const ALLOWED = [
  join(SRC, "cli"),
  join(SRC, "api"),
  join(SRC, "model"),
  join(SRC, "version.ts"),
  // where the package's own files are (the demo's examples), a leaf module like version.ts
  join(SRC, "package-files.ts"),
  join(SRC, "index.ts"),
  // `ferry web` starts the dashboard, a face beside the CLI that also uses only the API
  join(SRC, "web", "serve.ts"),
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Every module specifier: static imports and re-exports, and dynamic import("…"). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']/g))
    out.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) out.push(m[1]!);
  for (const m of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out;
}

test("src/cli imports only the API, the model, Node and commander", () => {
  const bad: string[] = [];
  const list = files(CLI);
  assert.ok(list.length > 10);
  for (const file of list) {
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      if (spec.startsWith("node:") || spec === "commander") continue;
      const target = resolve(join(file, ".."), spec);
      if (!spec.startsWith(".") || !ALLOWED.some((a) => target === a || target.startsWith(`${a}/`)))
        bad.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

/** The modules `main.ts` loads before any command runs: its static (non-type) imports, transitively. */
function startupClosure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const m of source.matchAll(
      /(?:^|\n)\s*(import|export)\s(?!type\s)[^"'`;]*?from\s*["'](\.[^"']+)["']/g,
    ))
      stack.push(resolve(join(file, ".."), m[2]!));
  }
  return [...seen].map((f) => relative(SRC, f)).sort();
}

test("ferry --version and --help load the command table, not the commands or the API", () => {
  // main.ts turns the compile cache on and imports run.ts: what run.ts loads is loaded for every command
  const loaded = startupClosure(join(CLI, "run.ts"));
  assert.deepEqual(
    loaded.filter((f) => f.startsWith("cli/commands/") || f.startsWith("api/")),
    [],
    `loaded at startup: ${loaded.join(", ")}`,
  );
  assert.ok(loaded.includes("cli/table.ts"));
});
