/**
 * Running one ssh process: stdin fed with backpressure, stdout either buffered or handed to a
 * consumer as it arrives (a tar stream of many files), stderr kept (head and tail when huge), a
 * timeout that ends it. Never rejects for the process's own failure: the caller reads the result.
 */
import { spawn } from "node:child_process";

export type StdinSource = string | Uint8Array | (() => AsyncIterable<Uint8Array>);

export interface SpawnSpec {
  argv: readonly string[];
  env?: NodeJS.ProcessEnv;
  stdin?: StdinSource | undefined;
  /** Drop stdout up to and including this line (a noisy login shell's output comes before it). */
  stdoutMark?: string;
  /** Reads stdout while the process runs; when absent, stdout is buffered. */
  consume?: ((stdout: AsyncIterable<Uint8Array>) => Promise<void>) | undefined;
  timeoutMs: number;
  /** A process group of its own, so no terminal signal (Ctrl-C) or tty reaches it. */
  detached?: boolean;
  /** Sees stderr as it arrives; returning true ends the process. */
  watchStderr?: (text: string) => boolean;
}

export interface SpawnResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  /** What the consumer or the stdin source threw, if anything. */
  localError: unknown;
  /** The ssh binary could not be started at all. */
  spawnError: Error | undefined;
}

const STDERR_HEAD = 64 * 1024;
const STDERR_TAIL = 1024 * 1024;

/** Pass the stream on from just after the first `mark\n`. */
async function* afterMark(src: AsyncIterable<Uint8Array>, mark: string): AsyncGenerator<Uint8Array> {
  const needle = Buffer.from(`${mark}\n`);
  let pending: Buffer = Buffer.alloc(0);
  let found = false;
  for await (const chunk of src) {
    if (found) {
      yield chunk;
      continue;
    }
    pending = Buffer.concat([pending, chunk as Buffer]);
    const at = pending.indexOf(needle);
    if (at === -1) {
      pending = pending.subarray(Math.max(0, pending.length - needle.length));
      continue;
    }
    found = true;
    const rest = pending.subarray(at + needle.length);
    if (rest.length > 0) yield rest;
  }
}

async function feed(stdin: NodeJS.WritableStream, source: StdinSource | undefined): Promise<void> {
  if (source === undefined || typeof source === "string" || source instanceof Uint8Array) {
    stdin.end(source ?? "");
    return;
  }
  for await (const chunk of source()) {
    if (!stdin.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          stdin.off("drain", done);
          stdin.off("close", done);
          resolve();
        };
        stdin.on("drain", done);
        stdin.on("close", done);
      });
    }
  }
  stdin.end();
}

export function runSsh(spec: SpawnSpec): Promise<SpawnResult> {
  const [file, ...args] = spec.argv;
  return new Promise((resolve) => {
    const child = spawn(file!, args, {
      env: spec.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: spec.detached ?? false,
    });
    let localError: unknown;
    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (spec.detached && child.pid !== undefined) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    const errHead: Buffer[] = [];
    let errHeadLen = 0;
    let errTail: Buffer[] = [];
    let errTailLen = 0;
    let dropped = false;
    child.stderr.on("data", (d: Buffer) => {
      if (spec.watchStderr?.(d.toString("utf8"))) kill("SIGTERM");
      if (errHeadLen < STDERR_HEAD) {
        errHead.push(d);
        errHeadLen += d.length;
        return;
      }
      errTail.push(d);
      errTailLen += d.length;
      while (errTailLen - (errTail[0]?.length ?? 0) > STDERR_TAIL) {
        errTailLen -= errTail.shift()!.length;
        dropped = true;
      }
    });
    const stdout = spec.stdoutMark === undefined ? child.stdout : afterMark(child.stdout, spec.stdoutMark);
    const out: Buffer[] = [];
    const reading = (async () => {
      if (spec.consume) await spec.consume(stdout);
      for await (const c of stdout) if (!spec.consume) out.push(c as Buffer);
    })().catch((e: unknown) => {
      localError ??= e;
      child.kill("SIGKILL");
      child.stdout.resume();
    });
    let hard: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      kill("SIGTERM");
      hard = setTimeout(() => kill("SIGKILL"), 2000);
    }, spec.timeoutMs);
    child.stdin.on("error", () => {}); // the process may end before reading all of its stdin
    feed(child.stdin, spec.stdin).catch((e: unknown) => {
      localError ??= e;
      kill("SIGKILL");
    });
    let spawnError: Error | undefined;
    child.on("error", (e) => {
      spawnError = e;
    });
    // A mux client hands its stdio to the master (fd passing), so after a timeout our pipes stay
    // open until the remote command ends: stop waiting for them once the client itself is gone.
    child.on("exit", () => {
      if (!timedOut) return;
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        child.stdin.destroy();
      }, 200).unref();
    });
    child.on("close", async (code) => {
      clearTimeout(timer);
      clearTimeout(hard);
      await reading;
      const stderr = Buffer.concat([...errHead, ...(dropped ? [Buffer.from("\n[…]\n")] : []), ...errTail]);
      errTail = [];
      resolve({
        status: spawnError ? null : code,
        stdout: Buffer.concat(out),
        stderr: stderr.toString("utf8"),
        timedOut,
        localError,
        spawnError,
      });
    });
  });
}
