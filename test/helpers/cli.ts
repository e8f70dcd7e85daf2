/** Run the real `ferry` CLI (from the sources) as a child process. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const FERRY_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function ferry(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_MAIN, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        NO_COLOR: "1",
        FERRY_PROJECT: undefined,
        FERRY_DATABASE_URL: undefined,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Start `ferry` and return the child (for tests that signal it). */
export function spawnFerry(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
) {
  return spawn(process.execPath, [FERRY_MAIN, ...args], {
    cwd: options.cwd,
    env: {
      ...process.env,
      NO_COLOR: "1",
      FERRY_PROJECT: undefined,
      FERRY_DATABASE_URL: undefined,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
