/**
 * The peers' virtual environment: made from bench/peers/requirements.txt (every package
 * pinned) with the machine's python3, and cached under ~/.cache/ferry-bench/ by the hash of
 * that file and the Python version, so that a second run installs nothing.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PEERS_DIR = fileURLToPath(new URL(".", import.meta.url));
const REQUIREMENTS = join(PEERS_DIR, "requirements.txt");

function run(argv: readonly string[], what: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${what} failed (${argv.join(" ")}):\n${r.stderr?.slice(-3000)}`);
  return r.stdout;
}

/** The venv's bin folder, installing it first when this requirements file has none yet. */
export function peersVenv(python = process.env.FERRY_BENCH_PYTHON ?? "python3"): string {
  const version = run([python, "--version"], "python3 --version").trim();
  const key = createHash("sha256")
    .update(readFileSync(REQUIREMENTS))
    .update(version)
    .digest("hex")
    .slice(0, 16);
  const root = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ferry-bench");
  const venv = join(root, `peers-${key}`);
  const bin = join(venv, "bin");
  const stamp = join(venv, "installed");
  if (existsSync(stamp)) return bin;
  // no stamp: never made, or an install was interrupted: start again from nothing
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  console.log(`installing FireWorks and jobflow into ${venv} (once for this requirements file)…`);
  run([python, "-m", "venv", venv], "creating the virtual environment");
  run(
    [join(bin, "pip"), "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
    "pip install -r bench/peers/requirements.txt",
  );
  writeFileSync(stamp, `${version}\n`);
  return bin;
}
