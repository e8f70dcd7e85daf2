/**
 * The files the pages load, all served by ferry itself (the dashboard must work on a login node
 * with no internet): htmx from its npm package, the client module bundled from client/*.ts by
 * esbuild on first use (about 30 ms; a built package ships it prebuilt as client/app.js), the
 * style sheet.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { codeFile } from "../package-files.ts";
import { STYLE } from "./pages/style.ts";

export interface Asset {
  body: string;
  type: string;
}

// not named `require`: the CLI bundle (scripts/build.mjs) declares that one at the top of each chunk
const fromHere = createRequire(import.meta.url);
let cache: Promise<Record<string, Asset>> | null = null;

async function clientBundle(): Promise<string> {
  const prebuilt = codeFile("web/client/app.js");
  if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
  const { build } = await import("esbuild");
  const r = await build({
    entryPoints: [codeFile("web/client/main.ts")],
    bundle: true,
    format: "esm",
    minify: true,
    write: false,
    target: "es2022",
    logLevel: "silent",
  });
  return r.outputFiles[0]!.text;
}

export function assets(): Promise<Record<string, Asset>> {
  cache ??= (async () => ({
    "htmx.js": {
      body: readFileSync(fromHere.resolve("htmx.org/dist/htmx.min.js"), "utf8"),
      type: "text/javascript; charset=utf-8",
    },
    "app.js": { body: await clientBundle(), type: "text/javascript; charset=utf-8" },
    "style.css": { body: STYLE, type: "text/css; charset=utf-8" },
  }))();
  cache.catch(() => {
    cache = null;
  });
  return cache;
}
