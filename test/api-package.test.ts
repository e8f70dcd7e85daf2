/**
 * The package as a user gets it: `npm pack` (which builds dist/), installed from the tarball
 * into a folder outside the repo with no network (the dependencies are in npm's cache after
 * `npm ci`; see appLock), then `import { openProject, flow } from "ferry-hpc"` runs a flow with sh and js
 * tasks, and the installed `ferry` command reads the project it made. The build runs in a copy
 * of the sources, so this repo's own dist/ (which bin/ferry.mjs prefers) is never touched.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers/stores.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NODE_BIN = join(process.execPath, "..");

function run(cmd: string, args: readonly string[], cwd: string) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      // the Node 24 that runs this test also runs npm and its scripts
      PATH: `${NODE_BIN}:${process.env.PATH}`,
      npm_config_update_notifier: "false",
      FERRY_PROJECT: undefined,
      FERRY_DATABASE_URL: undefined,
    },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A lockfile for an app that depends on the tarball: ferry's own lockfile pins the versions and
 * tarball URLs of its runtime dependencies, which `npm ci` in this repo left in npm's cache.
 * (`npm install --offline <tgz>` alone needs the registry's package documents, which that
 * cache does not hold: ENOTCACHED.)
 */
function appLock(tgz: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<
      string,
      { dev?: boolean; dependencies?: Record<string, string> } & Record<string, unknown>
    >;
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const runtime = Object.fromEntries(
    Object.entries(lock.packages).filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev),
  );
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
  return {
    name: "app",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "app", dependencies: { "ferry-hpc": `file:${tgz}` } },
      "node_modules/ferry-hpc": {
        version: pkg.version,
        resolved: `file:${tgz}`,
        integrity,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
      ...runtime,
    },
  };
}

test('the packed package installs offline and runs a flow through import { openProject, flow } from "ferry-hpc"', async () => {
  const src = tempDir("ferry-pack-src-");
  for (const entry of [
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "README.md",
  ])
    cpSync(join(ROOT, entry), join(src, entry));
  for (const dir of ["src", "bin", "scripts", "schema", "examples"])
    cpSync(join(ROOT, dir), join(src, dir), {
      recursive: true,
      filter: (p) => !p.endsWith(".test.ts"),
    });
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
  const out = tempDir("ferry-pack-");
  const packed = run("npm", ["pack", "--pack-destination", out, "--silent"], src);
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = readdirSync(out).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, `a tarball in ${out}`);

  const app = tempDir("ferry-app-");
  const tgz = join(out, tarball);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "app",
      private: true,
      type: "module",
      dependencies: { "ferry-hpc": `file:${tgz}` },
    }),
  );
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(appLock(tgz)));
  const installed = run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], app);
  assert.equal(installed.code, 0, installed.stderr);
  writeFileSync(join(app, "tasks.mjs"), "export const square = ({ x }) => ({ value: x * x });\n");
  writeFileSync(
    join(app, "main.mjs"),
    `import { flow, js, openProject, FERRY_VERSION } from "ferry-hpc";
const f = flow("packed");
const a = f.job("a", { sh: 'echo "{\\\\"value\\\\": 7}" > "$FERRY_OUTPUTS"' });
f.job("b", { js: js("./tasks.mjs", "square"), inputs: { x: a.output("value") } });
await using project = await openProject({ config: { workers: { local: { mode: "pull", workDir: "runs" } } }, dir: "." });
await project.add(f);
const summary = await project.launch();
const jobs = await project.jobs();
console.log(JSON.stringify({ version: FERRY_VERSION, summary, outputs: jobs.map((j) => [j.name, j.outputs]) }));
`,
  );
  writeFileSync(join(app, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
  const ran = run(process.execPath, ["main.mjs"], app);
  assert.equal(ran.code, 0, ran.stderr);
  const result = JSON.parse(ran.stdout);
  assert.equal(result.version, JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  assert.equal(result.summary.completed, 2);
  assert.deepEqual(result.outputs, [
    ["a", { value: 7 }],
    ["b", { value: 49 }],
  ]);
  // the installed command runs the bundled CLI (scripts/build.mjs), which finds the package's
  // files (migrations, the task supervisor, the js runtime, the examples) from the package root
  assert.ok(existsSync(join(app, "node_modules", "ferry-hpc", "dist", "cli-bundle", "main.js")));
  const demo = run(process.execPath, [join(app, "node_modules", ".bin", "ferry"), "demo", "--json"], app);
  assert.equal(demo.code, 0, `the demo runs from the installed package (examples/ shipped): ${demo.stderr}`);
  assert.equal(JSON.parse(demo.stdout).ok, true);
  const cli = run(
    process.execPath,
    [join(app, "node_modules", ".bin", "ferry"), "jobs", "list", "--json"],
    app,
  );
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(
    JSON.parse(cli.stdout).map((j: { state: string }) => j.state),
    ["COMPLETED", "COMPLETED"],
  );
});

test("npm ci is quiet about install scripts: esbuild's and node's are allowed in package.json", () => {
  const dir = tempDir("ferry-ci-");
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(ROOT, f), join(dir, f));
  const r = run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts=false"], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /install scripts not yet covered|install-scripts/);
});
