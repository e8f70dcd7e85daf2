/** Batched file transfer over one exec each: bounded reads, atomic writes, downloads. */
import * as fs from "node:fs";
import * as path from "node:path";
import { TransportError } from "../../model/errors.ts";
import { DEFAULT_READ_LIMIT, type ReadOptions } from "../types.ts";
import { ByteReader } from "./byte-reader.ts";
import type { CommandRunner } from "./command.ts";
import { parseReadOutput, type ReadVerdict, readScript } from "./read-script.ts";
import { newNonce } from "./remote-line.ts";
import { tarStream } from "./tar-write.ts";
import { type UploadItem, uploadPlan } from "./write-script.ts";

/** Runs the script it is given on stdin: the batch's size has no command-line limit. */
const FROM_STDIN = { script: 'eval "$(cat)"' };

const KIND: Record<string, string> = {
  directory: "a directory",
  fifo: "a FIFO",
  device: "a device",
  socket: "a socket",
  other: "not a regular file",
};

/** The local transport's refusal for a verdict, or undefined when the bytes are the answer. */
function refusal(
  file: string,
  v: ReadVerdict,
  o: { maxBytes: number | undefined; within?: string | undefined },
) {
  const refuse = (r: NonNullable<TransportError["refusal"]>, why: string) =>
    new TransportError(`${file}: ${why}`, { path: file, refusal: r, retryable: false });
  switch (v.status) {
    case "ok":
      return undefined;
    case "missing":
      return null;
    case "loop":
      return refuse("not-a-file", "a symbolic link loop");
    case "outside":
      return refuse("outside", `points outside ${o.within} (to ${v.real})`);
    case "too-large":
      return refuse("too-large", `is larger than the ${o.maxBytes} bytes allowed`);
    case "unreadable":
      return refuse("unreadable", "cannot be read (permission denied)");
    case "vanished":
      return new TransportError(`${file}: vanished while being read`, { path: file, refusal: "unreadable" });
    default:
      return refuse("not-a-file", `is ${KIND[v.status] ?? "not a regular file"}, not a regular file`);
  }
}

export async function readFiles(
  runner: CommandRunner,
  files: readonly string[],
  options: ReadOptions,
  timeoutMs: number,
): Promise<Map<string, string | null | Error>> {
  const unique = [...new Set(files)];
  const out = new Map<string, string | null | Error>();
  if (unique.length === 0) return out;
  const max = options.maxBytes ?? DEFAULT_READ_LIMIT;
  const within =
    options.within === undefined ? undefined : path.posix.normalize(options.within).replace(/(.)\/$/, "$1");
  const end = newNonce();
  let verdicts: ReadVerdict[] = [];
  let bytes: Buffer[][] = [];
  await runner.run(FROM_STDIN, {
    stdin: readScript({ paths: unique, maxBytes: max, within }, end),
    timeoutMs,
    what: `reading ${unique.length} file(s)`,
    consume: async (stdout) => {
      const r = new ByteReader(stdout);
      bytes = unique.map(() => []);
      verdicts = await parseReadOutput(r, unique.length, end, (i) => (chunk) => {
        bytes[i]!.push(Buffer.from(chunk));
      });
      await r.drain();
    },
  });
  unique.forEach((file, i) => {
    const v = verdicts[i]!;
    const refused = refusal(file, v, { maxBytes: max, within: options.within });
    if (refused !== undefined) {
      out.set(file, refused);
      return;
    }
    const content = Buffer.concat(bytes[v.sameAs ?? i]!);
    out.set(
      file,
      content.length > max
        ? new TransportError(`${file}: grew past the ${max} bytes allowed while being read`, {
            path: file,
            refusal: "too-large",
            retryable: false,
          })
        : content.toString("utf8"),
    );
  });
  return out;
}

export async function uploadFiles(
  runner: CommandRunner,
  items: readonly UploadItem[],
  timeoutMs: number,
): Promise<void> {
  if (items.length === 0) return;
  const plan = uploadPlan(items, newNonce().slice(6, 18));
  const r = await runner.run(
    { script: plan.script },
    { stdin: () => tarStream(plan.tar), timeoutMs, what: `writing ${items.length} file(s)` },
  );
  if (r.exitCode !== 0) {
    throw new TransportError(
      `writing ${items.length} file(s) failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-2000)}`,
      {
        path: items[0]!.path,
        retryable: false,
      },
    );
  }
}

/** Copy remote files to local paths (each written to a temporary name, then renamed). */
export async function downloadFiles(
  runner: CommandRunner,
  pairs: readonly { remote: string; local: string }[],
  timeoutMs: number,
): Promise<void> {
  if (pairs.length === 0) return;
  const remotes = pairs.map((p) => p.remote);
  const end = newNonce();
  const tmp = pairs.map((p) =>
    path.join(path.dirname(p.local), `.${path.basename(p.local)}.${end.slice(6, 18)}.tmp`),
  );
  const fds = new Map<number, number>();
  const open = (i: number) => {
    let fd = fds.get(i);
    if (fd === undefined) {
      fs.mkdirSync(path.dirname(tmp[i]!), { recursive: true });
      fd = fs.openSync(tmp[i]!, "w", 0o644);
      fds.set(i, fd);
    }
    return fd;
  };
  let verdicts: ReadVerdict[] = [];
  try {
    await runner.run(FROM_STDIN, {
      stdin: readScript({ paths: remotes, maxBytes: undefined, within: undefined }, end),
      timeoutMs,
      what: `downloading ${pairs.length} file(s)`,
      consume: async (stdout) => {
        const r = new ByteReader(stdout);
        verdicts = await parseReadOutput(r, remotes.length, end, (i) => (chunk) => {
          fs.writeSync(open(i), chunk);
        });
        await r.drain();
      },
    });
    const problems: string[] = [];
    pairs.forEach((p, i) => {
      const v = verdicts[i]!;
      const refused = refusal(p.remote, v, { maxBytes: undefined });
      if (refused !== undefined) {
        problems.push(refused === null ? `${p.remote}: no such file` : refused.message);
        return;
      }
      if (v.sameAs !== undefined) fs.copyFileSync(tmp[v.sameAs]!, tmp[i]!);
      else open(i);
    });
    for (const fd of fds.values()) fs.closeSync(fd);
    fds.clear();
    pairs.forEach((p, i) => {
      if (verdicts[i]?.status === "ok") fs.renameSync(tmp[i]!, p.local);
    });
    if (problems.length > 0) {
      throw new TransportError(
        `${problems.length} of ${pairs.length} file(s) not downloaded: ${problems.slice(0, 5).join("; ")}`,
        {
          path: pairs[0]!.remote,
          retryable: false,
        },
      );
    }
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
    for (const t of tmp) fs.rmSync(t, { force: true });
  }
}
