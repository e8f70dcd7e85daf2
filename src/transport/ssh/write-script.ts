/**
 * Writing many files in one exec, each atomically. The files travel as one tar stream (stdin of
 * the command); the remote `tar -x` writes each into a hidden staging folder beside its
 * destination (`<dir>/.ferry-put-<nonce>/<name>`, same filesystem), and only then is each renamed
 * into place — `mv` of files within one filesystem is rename(2) — so a reader sees the old file
 * or the new one, never half of one. One `mv` per folder keeps the processes few (1,000 files in
 * ten folders: a dozen processes in all); see renameRuns for the order.
 *
 * The list of renames is itself a member of the stream (a shell script of quoted words, the
 * first member): the command line stays small however many files there are. If the stream is cut
 * off, the staging folders are removed when possible; nothing half-written is ever in place.
 */
import * as posix from "node:path/posix";
import { shJoin, shQuote } from "../quote.ts";
import type { TarFile } from "./tar-write.ts";

export interface UploadItem {
  /** Absolute path on the remote side. */
  path: string;
  mode: number;
  size: number;
  source: TarFile["source"];
}

export interface UploadPlan {
  tar: TarFile[];
  /** The remote script (POSIX sh) that extracts the stream from stdin and commits it. */
  script: string;
}

/**
 * The renames, as runs of files in one folder (one `mv` each). Files given folder by folder keep
 * their exact order. Files that alternate between folders would need one `mv` per file (6.5 ms
 * each on a loaded login node: 1,000 files took 6.5 s), so they are moved folder by folder, in
 * order within each folder, and the batch's last file is moved last of all: a marker written last
 * still means the others are there.
 */
export function renameRuns(paths: readonly string[]): { dir: string; names: string[] }[] {
  const runs: { dir: string; names: string[] }[] = [];
  for (const p of paths) {
    const dir = posix.dirname(p);
    const run = runs.at(-1);
    if (run?.dir === dir) run.names.push(posix.basename(p));
    else runs.push({ dir, names: [posix.basename(p)] });
  }
  const dirs = new Set(paths.map((p) => posix.dirname(p)));
  if (runs.length === dirs.size) return runs;
  const grouped = new Map<string, string[]>();
  for (const p of paths.slice(0, -1)) {
    const dir = posix.dirname(p);
    const names = grouped.get(dir);
    if (names) names.push(posix.basename(p));
    else grouped.set(dir, [posix.basename(p)]);
  }
  const last = paths.at(-1)!;
  return [
    ...[...grouped].map(([dir, names]) => ({ dir, names })),
    { dir: posix.dirname(last), names: [posix.basename(last)] },
  ];
}

export function uploadPlan(items: readonly UploadItem[], nonce: string): UploadPlan {
  // The same path twice: the later content wins, in the later position.
  const last = new Map<string, number>();
  items.forEach((it, i) => {
    last.set(it.path, i);
  });
  const files = items.filter((it, i) => last.get(it.path) === i);
  const stageOf = (dir: string) => posix.join(dir, `.ferry-put-${nonce}`);
  const stages = [...new Set(files.map((f) => stageOf(posix.dirname(f.path))))];
  const runs = renameRuns(files.map((f) => f.path));
  const moves = runs.map((r) =>
    shJoin([
      "mv",
      "-f",
      "--",
      ...r.names.map((n) => posix.join(stageOf(r.dir), n)),
      `${r.dir.replace(/\/$/, "")}/`,
    ]),
  );
  const manifest = [
    `ferry_cleanup() { rm -rf -- ${stages.map(shQuote).join(" ")}; }`,
    "ferry_commit() {",
    "  f=0",
    `  for d in ${files.map((f) => shQuote(f.path)).join(" ")}; do`,
    `    if [ -d "$d" ] && [ ! -L "$d" ]; then printf 'ferry: %s is a directory\\n' "$d" >&2; f=1; fi`,
    "  done",
    `  if [ "$f" = 0 ]; then ${moves.join(" && ")} || f=1; fi`,
    "  ferry_cleanup",
    '  return "$f"',
    "}",
    "",
  ].join("\n");
  const manifestPath = posix.join(stages[0] ?? "/tmp", ".ferry-manifest");
  const manifestBytes = Buffer.from(manifest, "utf8");
  const rel = (p: string) => p.replace(/^\/+/, "");
  const tar: TarFile[] = [
    { name: rel(manifestPath), mode: 0o600, size: manifestBytes.length, source: manifestBytes },
    ...files.map((f) => ({
      name: rel(posix.join(stageOf(posix.dirname(f.path)), posix.basename(f.path))),
      mode: f.mode,
      size: f.size,
      source: f.source,
    })),
  ];
  const m = shQuote(manifestPath);
  const script = [
    // -m: the extraction time, not the sender's clock (no "time stamp in the future" on skewed
    // NFS); -o: files belong to the remote user even when that user is root.
    "tar -x -m -o -f - -C /; s=$?",
    `if [ -f ${m} ]; then . ${m}; if [ "$s" = 0 ]; then ferry_commit; else ferry_cleanup; false; fi`,
    `else printf 'ferry: the upload did not arrive (tar failed)\\n' >&2; false; fi`,
  ].join("\n");
  return { tar, script };
}
