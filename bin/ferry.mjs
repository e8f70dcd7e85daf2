#!/usr/bin/env node
// The `ferry` command: the bundled CLI (dist/cli-bundle/) when installed, the sources in a
// development checkout.
import { existsSync } from "node:fs";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`ferry needs Node.js 22.18 or newer (this is ${process.version}).\n`);
  process.exit(2);
}
// compiled modules are cached between runs (Node ≥ 22.1; NODE_DISABLE_COMPILE_CACHE=1 turns it off)
(await import("node:module")).enableCompileCache?.();
const dist = new URL("../dist/cli-bundle/main.js", import.meta.url);
const { main } = await import(
  existsSync(dist) ? dist.href : new URL("../src/cli/main.ts", import.meta.url).href
);
process.exitCode = await main(process.argv.slice(2));
