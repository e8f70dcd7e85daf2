/**
 * Safety and honesty for directive lines. Every value that lands in a `#SBATCH`/`#PBS`/`#$`/`#BSUB`
 * line is checked here: a line break would end the directive and run the rest of the value as a
 * shell command in the batch script, so control characters are refused outright. Keys a
 * scheduler cannot express are collected and thrown together as one ValidationError that names
 * each key and says what to do instead — never a dropped line (FireWorks' templates drop them:
 * fireworks/queue/queue_adapter.py `get_script_str`).
 */
import type { Issue } from "../../model/errors.ts";
import { ValidationError } from "../../model/errors.ts";
import type { SchedulerName } from "../../model/resources.ts";

export class DirectiveProblems {
  readonly issues: Issue[] = [];
  readonly scheduler: SchedulerName;

  constructor(scheduler: SchedulerName) {
    this.scheduler = scheduler;
  }

  add(field: string, message: string): void {
    this.issues.push({ field, message });
  }

  /** `<scheduler> has no <what>: remove it, or pass a raw option with custom: {<scheduler>: [...]}`. */
  unsupported(field: string, what: string, rawExample?: string): void {
    const example = rawExample === undefined ? "..." : JSON.stringify(rawExample);
    this.add(
      field,
      `${this.scheduler} has no ${what}: remove it, or pass a raw option with custom: {${this.scheduler}: [${example}]}`,
    );
  }

  /** Refuse values that would break out of the directive line. */
  checkLine(field: string, value: string): void {
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      this.add(
        field,
        `${JSON.stringify(value)} contains a line break or control character; in a ${this.scheduler} directive it would end the line and run the rest as a shell command`,
      );
    }
  }

  throwIfAny(): void {
    if (this.issues.length > 0) {
      throw new ValidationError(`these resources cannot be expressed for ${this.scheduler}:`, this.issues);
    }
  }
}

const BARE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A directive value as sbatch and SGE's qsub read it: bare when it is a plain word, else in
 * double quotes (both accept `#SBATCH --output="/a b/out"` and `#$ -o "/a b/out"`: recorded in
 * test/fixtures/schedulers/slurm/directives-quoting.yaml and sge/directives-quoting.yaml).
 * A value holding a double quote or a backslash cannot be quoted reliably: refused.
 */
export function quoteDirectiveValue(problems: DirectiveProblems, field: string, value: string): string {
  problems.checkLine(field, value);
  if (BARE_WORD.test(value)) return value;
  if (/["\\]/.test(value)) {
    problems.add(
      field,
      `${JSON.stringify(value)} holds a double quote or backslash, which ${problems.scheduler} directives cannot quote`,
    );
  }
  return `"${value}"`;
}

/** Raw `custom` arguments, appended as directives after ours (so a site option can override). */
export function customDirectives(
  problems: DirectiveProblems,
  prefix: string,
  custom: readonly string[],
): string[] {
  return custom.map((arg, i) => {
    problems.checkLine(`custom[${i}]`, arg);
    return `${prefix} ${arg}`;
  });
}

/**
 * Job names are cosmetic, so they are made acceptable rather than refused: PBS and LSF split
 * directive words on blanks, SGE rejects `/ : @ \ * ?` and a leading digit in -N.
 */
export function sanitizeJobName(
  name: string,
  options: { maxLength: number; startWithLetter: boolean },
): string {
  let out = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  if (out === "") out = "ferry";
  if (options.startWithLetter && !/^[A-Za-z]/.test(out)) out = `j${out}`;
  return out.slice(0, options.maxLength);
}

/** Fail on array sizes a scheduler cannot take. */
export function checkArraySize(
  problems: DirectiveProblems,
  arraySize: number | undefined,
  supported: boolean,
): void {
  if (arraySize === undefined) return;
  if (!supported) {
    problems.add("arraySize", `${problems.scheduler} has no job arrays: submit one job per element`);
  } else if (!Number.isInteger(arraySize) || arraySize < 1) {
    problems.add("arraySize", `must be a positive integer, got ${arraySize}`);
  }
}

/** `{index}` in an output path becomes the scheduler's own array-index pattern. */
export function withArrayIndex(path: string, pattern: string): string {
  return path.replaceAll("{index}", pattern);
}

/** H:MM:SS, the walltime format PBS, SGE (h_rt) and the PBS wrappers all accept. */
export function formatHms(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}
