#!/usr/bin/env node
// Build dist/ for the published package: tsc (rewriting .ts imports to .js), then the files tsc
// does not copy (SQL migrations, the py task runner).
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const dialect of readdirSync("src/store").filter((d) => d === "sqlite" || d === "postgres")) {
  cpSync(`src/store/${dialect}/migrations`, `dist/store/${dialect}/migrations`, { recursive: true });
}
cpSync("src/exec/ferry_py.py", "dist/exec/ferry_py.py");
process.stdout.write("built dist/\n");
