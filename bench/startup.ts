/**
 * `npm run bench:startup`: how long `ferry --version` and `ferry jobs list` (on an empty project)
 * take as fresh processes, beside the same commands of a baseline commit checked out here in a
 * temporary `git worktree`, and `node -e ''` as the floor — all measured in this run,
 * interleaved, so machine noise hits every row alike. Medians of N runs.
 *
 *   node bench/startup.ts [baseline-ref] [runs]
 *
 * The default baseline is a6b51ab, the last commit before the command table was rewritten to
 * load command modules lazily (issue #12: `ferry --version` took 0.3–0.5 s). This tree is
 * measured with Node's compile cache (what `ferry` turns on) and without it, and as the package
 * installs it: a copy built with scripts/build.mjs, run through its bin/ferry.mjs (the bundled CLI).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BENCH_DIR, ferryCommand, printTable } from "./common.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const baseline = process.argv[2] ?? "a6b51ab";
const runs = Number(process.argv[3] ?? 15);

function git(...args: string[]): void {
  const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
}

function timeOnce(argv: readonly string[], cwd: string, env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    stdio: "ignore",
    env: { ...process.env, FERRY_PROJECT: undefined, FERRY_DATABASE_URL: undefined, ...env },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const benchRoot = resolve(ROOT, DEFAULT_BENCH_DIR);
mkdirSync(benchRoot, { recursive: true });
const tmp = mkdtempSync(join(benchRoot, "startup-"));
const base = join(tmp, "baseline");
git("worktree", "add", "--detach", "--quiet", base, baseline);
try {
  symlinkSync(join(ROOT, "node_modules"), join(base, "node_modules"));
  const node = process.execPath;
  const cli = (root: string) => join(root, "src", "cli", "main.ts");
  /**
   * An empty project: its database exists and holds no job. One per tree, each made by that
   * tree's own ferry: a baseline refuses a database a newer schema wrote (exit 5).
   */
  const emptyProject = (root: string, name: string): string => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "ferry.yaml"), "workers:\n  local: {mode: pull, workDir: runs}\n");
    writeFileSync(join(dir, "f.yaml"), "name: f\njobs:\n  - {name: a, sh: 'true'}\n");
    timeOnce([node, cli(root), "add", "f.yaml"], dir);
    timeOnce([node, cli(root), "delete", "--all", "--yes"], dir);
    return dir;
  };
  // this tree as the package installs it: the bundled CLI that bin/ferry.mjs prefers
  const installed = ferryCommand(join(tmp, "built"));
  const project = emptyProject(ROOT, "project");
  const baseProject = emptyProject(base, "baseline-project");
  const cold = { NODE_DISABLE_COMPILE_CACHE: "1" };
  const cases: [string, string[], Record<string, string>?, string?][] = [
    ["node -e '' (the floor)", [node, "-e", ""]],
    [`ferry --version, ${baseline}`, [node, cli(base), "--version"]],
    ["ferry --version, this tree, compile cache off", [node, cli(ROOT), "--version"], cold],
    ["ferry --version, this tree", [node, cli(ROOT), "--version"]],
    [`ferry jobs list (empty project), ${baseline}`, [node, cli(base), "jobs", "list"], {}, baseProject],
    [
      "ferry jobs list (empty project), this tree, compile cache off",
      [node, cli(ROOT), "jobs", "list"],
      cold,
    ],
    ["ferry jobs list (empty project), this tree", [node, cli(ROOT), "jobs", "list"]],
    ["ferry --version, this tree built (the installed CLI bundle)", [node, installed, "--version"]],
    ["ferry jobs list (empty project), this tree built", [node, installed, "jobs", "list"]],
  ];
  if (!existsSync(cli(base))) throw new Error(`${baseline} has no src/cli/main.ts`);
  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < runs; i++)
    for (const [k, [, argv, env, cwd]] of cases.entries())
      samples[k]!.push(timeOnce(argv, cwd ?? project, env));
  const floor = median(samples[0]!);
  printTable(
    ["command", "median", "minus floor", "conditions"],
    cases.map(([label, argv], k) => {
      const m = median(samples[k]!);
      return [
        label,
        `${m.toFixed(0)} ms`,
        k === 0 ? "-" : `${(m - floor).toFixed(0)} ms`,
        `${runs} runs, Node ${process.versions.node}, ${argv.includes(installed) ? "dist/cli-bundle" : "sources (type stripping)"}`,
      ];
    }),
  );
} finally {
  git("worktree", "remove", "--force", base);
  rmSync(tmp, { recursive: true, force: true });
}
