/** Start the real `ferry web` command on a project folder and read the URL it prints. */
import type { ChildProcess } from "node:child_process";
import { spawnFerry } from "./cli.ts";

export interface RunningWeb extends AsyncDisposable {
  /** With the token. */
  url: string;
  /** http://127.0.0.1:PORT */
  base: string;
  token: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export async function startFerryWeb(dir: string, args: string[] = []): Promise<RunningWeb> {
  const child = spawnFerry(["web", ...args], { cwd: dir });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry web printed no URL in 30 s: ${stderr}`)), 30_000);
    child.stdout!.on("data", (d) => {
      stdout += d;
      const m = /open (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ferry web exited with ${code}: ${stderr}`));
    });
  });
  const u = new URL(url);
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    return exited;
  };
  return {
    url,
    base: u.origin,
    token: u.searchParams.get("token")!,
    child,
    stderr: () => stderr,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}
