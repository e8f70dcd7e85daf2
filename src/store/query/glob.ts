/**
 * `--name` globs → the same `$regex` machinery (regex.ts), so a glob means the same on SQLite
 * and PostgreSQL or is refused (exit 3) on both. Before, a glob's `[...]` went to the database
 * as written: `--name '[z-a]'` exited 5 on both dialects, and `[]` or `[[:alpha:]]` on
 * PostgreSQL (issue #8).
 *
 * Syntax (POSIX fnmatch): `*` any text, `?` one character, `[abc]`, `[a-z]`, `[!a-z]` or
 * `[^a-z]` one character of (not of) the set; a `]` first in a set is a member; `[:alpha:]`,
 * `[:digit:]`, `[:alnum:]`, `[:upper:]`, `[:lower:]`, `[:xdigit:]`, `[:space:]` inside a set,
 * in their ASCII meaning (job names are ASCII); `\` makes the next character literal; a `[`
 * without its `]` is a literal. The whole name must match.
 */
import { textProblem } from "../../flow/json-check.ts";
import { ValidationError } from "../../model/errors.ts";
import { linearRegExp } from "./linear-regexp.ts";
import { compilePattern, type RegexEngine } from "./regex.ts";

export const MAX_GLOB_LENGTH = 500;

const POSIX: Record<string, string> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "0-9a-zA-Z",
  upper: "A-Z",
  lower: "a-z",
  xdigit: "0-9A-Fa-f",
  space: "\\t\\n\\v\\f\\r ",
};

/** One character as a literal of the regex syntax (regex.ts accepts `\` before punctuation). */
function literal(ch: string): string {
  return /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(ch) ? `\\${ch}` : ch;
}

class GlobError extends Error {}

/** The set starting at glob[i] === "[" → [regex class, index after it], or null for a literal "[". */
function set(glob: string, i: number): [string, number] | null {
  let j = i + 1;
  let negated = false;
  if (glob[j] === "!" || glob[j] === "^") {
    negated = true;
    j++;
  }
  let body = "";
  let first = true;
  while (j < glob.length && (glob[j] !== "]" || first)) {
    const ch = glob[j]!;
    first = false;
    if (ch === "[" && glob[j + 1] === ":") {
      const end = glob.indexOf(":]", j + 2);
      if (end === -1) return null;
      const name = glob.slice(j + 2, end);
      const members = POSIX[name];
      if (members === undefined)
        throw new GlobError(
          `[:${name}:] is not a class; use ${Object.keys(POSIX)
            .map((k) => `[:${k}:]`)
            .join(", ")} or ranges such as a-z`,
        );
      body += members;
      j = end + 2;
    } else if (ch === "\\" && j + 1 < glob.length) {
      body += literal(glob[j + 1]!);
      j += 2;
    } else if (ch === "-" && body !== "" && glob[j + 1] !== "]" && j + 1 < glob.length) {
      body += "-";
      j++;
    } else {
      const cp = glob.codePointAt(j)!;
      const c = String.fromCodePoint(cp);
      body += c === "-" || c === "^" || c === "]" || c === "[" || c === "\\" ? `\\${c}` : literal(c);
      j += c.length;
    }
  }
  if (j >= glob.length) return null;
  return [`[${negated ? "^" : ""}${body}]`, j + 1];
}

/**
 * The regex source (regex.ts syntax, option s) for a glob; throws GlobError. A leading or
 * trailing `*` drops its anchor instead (`relax-*` is `^relax-`): the same names, and a pattern
 * without quantifiers runs on the faster engine (regex.ts).
 */
function globSource(glob: string): string {
  let start = 0;
  let end = glob.length;
  while (glob[start] === "*") start++;
  while (end > start && glob[end - 1] === "*" && !escaped(glob, end - 1)) end--;
  const body = globBody(glob.slice(start, end));
  return `${start > 0 ? "" : "^"}${body}${end < glob.length ? "" : "$"}`;
}

/** Is glob[i] escaped by an odd run of backslashes before it? */
function escaped(glob: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && glob[j] === "\\"; j--) n++;
  return n % 2 === 1;
}

function globBody(glob: string): string {
  let re = "";
  for (let i = 0; i < glob.length; ) {
    const ch = glob[i]!;
    if (ch === "*") {
      re += ".*";
      while (glob[i] === "*") i++; // ** is *: one repeat, not two in a row
      continue;
    }
    if (ch === "?") re += ".";
    else if (ch === "\\" && i + 1 < glob.length) {
      const cp = glob.codePointAt(i + 1)!;
      re += literal(String.fromCodePoint(cp));
      i += 1 + String.fromCodePoint(cp).length;
      continue;
    } else if (ch === "[") {
      const s = set(glob, i);
      if (s) {
        re += s[0];
        i = s[1];
        continue;
      }
      re += "\\[";
    } else {
      const cp = glob.codePointAt(i)!;
      re += literal(String.fromCodePoint(cp));
      i += String.fromCodePoint(cp).length;
      continue;
    }
    i++;
  }
  return re;
}

/** A glob compiled for both dialects; throws ValidationError naming the glob. */
export function compileGlob(glob: string): { pattern: string; linear: string; engine: RegexEngine } {
  const refuse = (message: string): never => {
    throw new ValidationError("invalid --name glob", [
      { field: "name", message: `${JSON.stringify(glob)}: ${message}` },
    ]);
  };
  if (glob.length > MAX_GLOB_LENGTH) refuse(`a glob is at most ${MAX_GLOB_LENGTH} characters`);
  const text = textProblem(glob);
  if (text) refuse(`the glob ${text}`);
  let source: string;
  try {
    source = globSource(glob);
  } catch (e) {
    if (e instanceof GlobError) refuse(e.message);
    throw e;
  }
  const compiled = compilePattern(source, "s");
  if (!compiled.ok) refuse(compiled.message.replace(/ \(at character \d+ of the pattern\)$/, ""));
  const { pattern, linear, engine } = compiled as { pattern: string; linear: string; engine: RegexEngine };
  return { pattern, linear, engine };
}

/** A glob as a JavaScript test, with the meaning it has in the database (flow names in the API). */
export function globMatcher(glob: string): (name: string) => boolean {
  const { linear, engine } = compileGlob(glob);
  const re = engine === "linear" ? linearRegExp(linear) : new RegExp(linear);
  return (name) => re.test(name.toWellFormed());
}
