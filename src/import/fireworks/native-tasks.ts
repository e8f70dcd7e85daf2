/**
 * The Firetasks ferry runs with no Python on the node, as `sh` tasks that do what FireWorks'
 * own classes do (fireworks/user_objects/firetasks/script_task.py and fileio_tasks.py):
 *
 * - ScriptTask: each command through `sh -c` (or shell_exe), stopping at the first non-zero
 *   return code; stored_data {returncode, all_returncodes}; a bad code fails the job
 *   (fizzle_bad_rc, the default) or stops the children (defuse_bad_rc). stdout_file/stderr_file
 *   get the last command's output appended, as FireWorks writes only the last one it captured.
 * - FileWriteTask: each {filename, contents} written under dest (default: the launch directory).
 * - FileTransferTask without `server`: copy, cp, copy2, copytree, copyfile, move, mv.
 *
 * Anything these cannot express exactly (stdin_key, store_stdout, use_global_spec, use_shell:
 * false, paths with `$`, retries, remote transfers, other Firetasks) returns null and runs through
 * FireWorks itself on the node (python/ferry_jobflow/fireworks/run.py).
 */
import { shQuote } from "../../transport/quote.ts";

type Params = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === "string";
const TASK_DIR = '"${FERRY_OUTPUTS%/*}"';

function scriptTask(t: Params): string | null {
  if (t.use_shell === false || t.stdin_key || t.store_stdout || t.store_stderr || t.use_global_spec)
    return null;
  const script = isString(t.script) ? [t.script] : t.script;
  if (!Array.isArray(script) || script.length === 0 || !script.every(isString)) return null;
  if (t.defuse_bad_rc && t.fizzle_bad_rc) return null; // FireWorks raises: let it say so
  for (const k of ["stdin_file", "stdout_file", "stderr_file", "shell_exe"])
    if (t[k] !== undefined && !isString(t[k])) return null;
  const shell = isString(t.shell_exe) ? shQuote(t.shell_exe) : "sh";
  const stdin = isString(t.stdin_file) ? ` <${shQuote(t.stdin_file)}` : "";
  const out = isString(t.stdout_file) ? ` >${TASK_DIR}/fw.stdout` : "";
  const err = isString(t.stderr_file) ? ` 2>${TASK_DIR}/fw.stderr` : "";
  const lines = ["fw_rc=0; fw_all="];
  for (const cmd of script) {
    lines.push(
      `if [ "$fw_rc" -eq 0 ]; then ${shell} -c ${shQuote(cmd)}${stdin}${out}${err}; fw_rc=$?; fw_all="$fw_all\${fw_all:+,}$fw_rc"; fi`,
    );
  }
  if (isString(t.stdout_file)) lines.push(`cat ${TASK_DIR}/fw.stdout >>${shQuote(t.stdout_file)}`);
  if (isString(t.stderr_file)) lines.push(`cat ${TASK_DIR}/fw.stderr >>${shQuote(t.stderr_file)}`);
  const stored = `{"storedData":{"returncode":%s,"all_returncodes":[%s]}`;
  if (t.defuse_bad_rc) {
    lines.push(
      `if [ "$fw_rc" -ne 0 ]; then printf '${stored},"stopChildren":true}\\n' "$fw_rc" "$fw_all" >"$FERRY_ACTION"; : >"$FERRY_STOP"; exit 0; fi`,
    );
  }
  lines.push(`printf '${stored}}\\n' "$fw_rc" "$fw_all" >"$FERRY_ACTION"`);
  const fizzle = t.fizzle_bad_rc ?? !t.defuse_bad_rc;
  if (fizzle)
    lines.push(
      `if [ "$fw_rc" -ne 0 ]; then echo "ScriptTask fizzled! Return code: [$fw_all]" >&2; exit "$fw_rc"; fi`,
    );
  return lines.join("\n");
}

/** Python's os.path.join for two parts. */
function join(dir: string | undefined, name: string): string {
  if (dir === undefined || name.startsWith("/")) return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

function fileWriteTask(t: Params): string | null {
  const files = t.files_to_write;
  if (!Array.isArray(files) || (t.dest !== undefined && !isString(t.dest))) return null;
  const lines: string[] = [];
  for (const f of files) {
    const r = f as Params;
    if (!isString(r?.filename) || !isString(r?.contents)) return null;
    lines.push(
      `printf '%s' ${shQuote(r.contents)} >${shQuote(join(t.dest as string | undefined, r.filename))} || exit 1`,
    );
  }
  return lines.join("\n");
}

/** A path as expanduser(expandvars(p)) sees it, or null when only Python can expand it. */
function hostPath(p: unknown): string | null {
  if (!isString(p) || p.includes("$")) return null;
  if (p === "~" || p.startsWith("~/")) return `"$HOME"${shQuote(p.slice(1))}`;
  if (p.startsWith("~")) return null;
  return shQuote(p);
}

const TRANSFER: Record<string, string> = {
  copy: "cp --",
  cp: "cp --",
  copyfile: "cp --",
  copy2: "cp -p --",
  copytree: "cp -R --",
  move: "mv --",
  mv: "mv --",
};

function fileTransferTask(t: Params): string | null {
  const mode = (t.mode ?? "move") as string;
  const command = TRANSFER[mode];
  if (!command || t.server !== undefined || (t.max_retry ?? 0) !== 0 || t.shell_interpret === false)
    return null;
  if (!Array.isArray(t.files)) return null;
  const lines: string[] = [];
  for (const f of t.files) {
    const entry = f as Params;
    const src = hostPath(isString(f) ? f : entry?.src);
    const dest = hostPath(!isString(f) && entry?.dest !== undefined ? entry.dest : t.dest);
    if (src === null || dest === null) return null;
    // shutil.copytree refuses an existing destination, where cp -R would copy into it
    const check =
      mode === "copytree"
        ? `[ ! -e ${dest} ] || { echo 'copytree: the destination exists' >&2; false; } && `
        : "";
    const onError = t.ignore_errors
      ? " || true"
      : ` || { echo ${shQuote(`There was an error performing operation ${mode}`)} >&2; exit 1; }`;
    lines.push(`${check}${command} ${src} ${dest}${onError}`);
  }
  return lines.join("\n");
}

const NATIVE: Record<string, (t: Params) => string | null> = {
  ScriptTask: scriptTask,
  FileWriteTask: fileWriteTask,
  FileTransferTask: fileTransferTask,
};

/** The Firetask's `_fw_name` without FireWorks' `{{module.Class}}` braces or module path. */
export function taskName(task: Params): string {
  const name = String(task._fw_name ?? task["@class"] ?? "?").replace(/^\{\{|\}\}$/g, "");
  return name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
}

/** An sh command doing what this Firetask does, or null when it must run through FireWorks. */
export function nativeTask(task: Params): string | null {
  const name = String(task._fw_name ?? "");
  if (!Object.hasOwn(NATIVE, name)) return null; // only FireWorks' own classes, by their exact name
  return NATIVE[name]!(task);
}
