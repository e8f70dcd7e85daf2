/**
 * `$regex` patterns: a PCRE-like subset, rewritten into a pattern that JavaScript (flags `su`,
 * used by SQLite's ferry_regexp) and PostgreSQL's ARE (`~`) read the same way.
 *
 * Why rewrite instead of passing the pattern through: the two engines disagree on the basics.
 * PostgreSQL's `.` matches a newline and JavaScript's does not; `\s`, `\w` and case folding
 * follow the database locale on PostgreSQL but fixed Unicode tables in JavaScript; `\b` is a
 * backspace in an ARE; `\x41B` reads three hex digits in an ARE and two in JavaScript;
 * PostgreSQL refuses repeat counts over 255. So the parser accepts one documented syntax and
 * emits only constructs both engines agree on: escaped literals, explicit ASCII classes, `.` only
 * when it means "any character", lookarounds for `\b` and for `^`/`$` in multiline mode, and
 * ASCII case folding spelled out as `[aA]` (neither engine sees an `i` flag).
 */

export const REGEX_OPTIONS = "ims";
export const MAX_PATTERN_LENGTH = 1000;
export const MAX_REPEAT = 100;

export type RegexResult = { ok: true; pattern: string } | { ok: false; message: string };

interface Piece {
  text: string;
  /** Can take a quantifier (not an anchor or lookaround). */
  quantifiable: boolean;
  /** Contains a quantifier that repeats more than once (for the nested-repetition rule). */
  repeats: boolean;
}

class RegexSyntaxError extends Error {}

const SYNTAX = new Set("^$\\.*+?()[]{}|/");
const CLASS_SPECIAL = new Set("\\]^-[");
const WORD = "[0-9A-Za-z_]";
const SETS: Record<string, [number, number][]> = {
  d: [[48, 57]],
  w: [
    [48, 57],
    [65, 90],
    [95, 95],
    [97, 122],
  ],
  // PCRE's \s: space, \t, \n, \v, \f, \r (ASCII only, unlike JavaScript's)
  s: [
    [9, 13],
    [32, 32],
  ],
};
const CONTROL: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11 };
/** Control characters are written as escapes both engines know, so patterns stay readable in logs. */
const CONTROL_ESCAPE = new Map(Object.entries(CONTROL).map(([letter, cp]) => [cp, `\\${letter}`]));
const ESCAPES_ALLOWED =
  "\\d \\D \\w \\W \\s \\S \\b \\B \\A \\z \\n \\t \\r \\f \\v \\xHH \\uHHHH, or \\ before punctuation";

/** Compile `source` with MongoDB-style `options` (letters from "ims"; checked by the caller). */
export function compilePattern(source: string, options: string): RegexResult {
  if (source.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const parser = new Parser(source, options);
  try {
    const piece = parser.alternation();
    if (parser.i < source.length) parser.fail("unmatched )");
    new RegExp(piece.text, "su"); // a bug here must not reach the database as a confusing error
    return { ok: true, pattern: piece.text };
  } catch (e) {
    if (e instanceof RegexSyntaxError) return { ok: false, message: e.message };
    throw e;
  }
}

class Parser {
  i = 0;
  readonly #src: string;
  readonly #fold: boolean;
  readonly #multiline: boolean;
  readonly #dotAll: boolean;

  constructor(src: string, options: string) {
    this.#src = src;
    this.#fold = options.includes("i");
    this.#multiline = options.includes("m");
    this.#dotAll = options.includes("s");
  }

  fail(message: string, at = this.i): never {
    throw new RegexSyntaxError(`${message} (at character ${at + 1} of the pattern)`);
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.i + offset];
  }

  alternation(): Piece {
    const branches = [this.#sequence()];
    while (this.#peek() === "|") {
      this.i++;
      branches.push(this.#sequence());
    }
    return {
      text: branches.map((b) => b.text).join("|"),
      quantifiable: true,
      repeats: branches.some((b) => b.repeats),
    };
  }

  #sequence(): Piece {
    let text = "";
    let repeats = false;
    while (this.i < this.#src.length && this.#peek() !== "|" && this.#peek() !== ")") {
      const start = this.i;
      let atom = this.#atom();
      const q = this.#quantifier();
      if (q) {
        if (!atom.quantifiable) this.fail("nothing to repeat", start);
        if (q.max > 1 && atom.repeats) {
          this.fail("nested repetition such as (a+)+ can take exponential time; repeat the inner part only");
        }
        // every quantifiable piece is one unit already: a character, a class or a group
        atom = { text: atom.text + q.text, quantifiable: false, repeats: atom.repeats || q.max > 1 };
      }
      text += atom.text;
      repeats ||= atom.repeats;
    }
    return { text, quantifiable: true, repeats };
  }

  /** A quantifier at the cursor, or undefined. Lazy `?` is dropped: it cannot change whether a pattern matches. */
  #quantifier(): { text: string; max: number } | undefined {
    const c = this.#peek();
    let text: string;
    let max: number;
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      text = c;
      max = c === "?" ? 1 : Number.POSITIVE_INFINITY;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.i));
      if (!m) return undefined;
      const min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
      if (min > MAX_REPEAT || (Number.isFinite(max) && max > MAX_REPEAT)) {
        this.fail(`repeat counts go up to ${MAX_REPEAT}`);
      }
      if (max < min) this.fail(`{${m[1]},${m[3]}} has its numbers out of order`);
      this.i += m[0].length;
      text = m[0];
    } else return undefined;
    if (this.#peek() === "?") this.i++;
    else if (this.#peek() === "+") this.fail("possessive quantifiers (a++) are not supported");
    return { text, max };
  }

  #atom(): Piece {
    const start = this.i;
    const c = this.#peek()!;
    const lit = (text: string): Piece => ({ text, quantifiable: true, repeats: false });
    const anchor = (text: string): Piece => ({ text, quantifiable: false, repeats: false });
    switch (c) {
      case "(":
        return this.#group();
      case "[":
        return lit(this.#class());
      case ".":
        this.i++;
        return lit(this.#dotAll ? "." : "[^\\n]");
      case "^":
        this.i++;
        return anchor(this.#multiline ? "(?:^|(?<=\\n))" : "^");
      case "$":
        this.i++;
        return anchor(this.#multiline ? "(?:$|(?=\\n))" : "$");
      case "\\":
        return this.#escape();
      case "*":
      case "+":
      case "?":
        this.fail("nothing to repeat", start);
        break;
      case "{":
        if (/^\{\d+(,\d*)?\}/.test(this.#src.slice(this.i))) this.fail("nothing to repeat", start);
        if (/^\{,\d+\}/.test(this.#src.slice(this.i))) this.fail("write {0,n} for at most n repetitions");
        break;
    }
    const cp = this.#src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return lit(this.#literal(cp));
  }

  #group(): Piece {
    const start = this.i;
    this.i++;
    let open = "(?:";
    let quantifiable = true;
    if (this.#peek() === "?") {
      const rest = this.#src.slice(this.i + 1, this.i + 3);
      const kind = [":", "=", "!", "<=", "<!"].find((k) => rest.startsWith(k));
      if (kind === undefined) {
        if (rest.startsWith("<") || rest.startsWith("P"))
          this.fail("named groups are not supported; use (...)");
        this.fail("inline options such as (?i) are not supported; use $options");
      }
      this.i += 1 + kind.length;
      open = `(?${kind}`;
      quantifiable = kind === ":";
    }
    const inner = this.alternation();
    if (this.#peek() !== ")") this.fail("missing )", start);
    this.i++;
    return { text: `${open}${inner.text})`, quantifiable, repeats: inner.repeats };
  }

  #escape(): Piece {
    const start = this.i;
    const e = this.#src[this.i + 1];
    if (e === undefined) this.fail("\\ at the end of the pattern");
    if ("dDwWsS".includes(e)) {
      const lower = e.toLowerCase();
      this.i += 2;
      return { text: this.#renderClass(SETS[lower]!, e !== lower), quantifiable: true, repeats: false };
    }
    if (e === "b" || e === "B") {
      this.i += 2;
      const text =
        e === "b"
          ? `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`
          : `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;
      return { text, quantifiable: false, repeats: false };
    }
    if (e === "A" || e === "z") {
      this.i += 2;
      return { text: e === "A" ? "^" : "$", quantifiable: false, repeats: false };
    }
    const cp = this.#escapedChar(start);
    return { text: this.#literal(cp), quantifiable: true, repeats: false };
  }

  /** The character an escape such as \n, \x41, \u00e9 or \. stands for; advances past it. */
  #escapedChar(start: number): number {
    const e = this.#src[this.i + 1]!;
    if (e in CONTROL) {
      this.i += 2;
      return CONTROL[e]!;
    }
    if (e === "x" || e === "u") {
      const digits = e === "x" ? 2 : 4;
      const hex = this.#src.slice(this.i + 2, this.i + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex))
        this.fail(`\\${e} needs ${digits} hex digits`, start);
      this.i += 2 + digits;
      let cp = Number.parseInt(hex, 16);
      if (cp >= 0xd800 && cp <= 0xdbff) {
        const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(this.#src.slice(this.i));
        if (!low) this.fail("an unpaired surrogate cannot match stored text", start);
        this.i += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (Number.parseInt(low[1]!, 16) - 0xdc00);
      } else if (cp >= 0xdc00 && cp <= 0xdfff)
        this.fail("an unpaired surrogate cannot match stored text", start);
      if (cp === 0) this.fail("NUL cannot appear in stored text", start);
      return cp;
    }
    if (/[0-9]/.test(e)) {
      this.fail(
        e === "0" ? "NUL cannot appear in stored text" : "back-references (\\1) are not supported",
        start,
      );
    }
    if (/[A-Za-z]/.test(e)) this.fail(`unknown escape \\${e}; use ${ESCAPES_ALLOWED}`, start);
    const cp = this.#src.codePointAt(this.i + 1)!;
    this.i += cp > 0xffff ? 3 : 2;
    return cp;
  }

  #literal(cp: number): string {
    const ch = String.fromCodePoint(cp);
    if (this.#fold && /[A-Za-z]/.test(ch)) return `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
    return CONTROL_ESCAPE.get(cp) ?? (SYNTAX.has(ch) ? `\\${ch}` : ch);
  }

  #class(): string {
    const start = this.i;
    this.i++;
    const negated = this.#peek() === "^";
    if (negated) this.i++;
    if (this.#peek() === "]") this.fail("empty class []; write \\] for a literal ]");
    const ranges: [number, number][] = [];
    while (this.#peek() !== "]") {
      if (this.i >= this.#src.length) this.fail("missing ]", start);
      if (this.#peek() === "[" && /[:.=]/.test(this.#peek(1) ?? "")) {
        this.fail(
          "POSIX classes such as [:alpha:] are not supported; use ranges such as a-zA-Z, or \\d \\w \\s",
        );
      }
      const first = this.#classAtom();
      if (
        typeof first === "number" &&
        this.#peek() === "-" &&
        this.#peek(1) !== "]" &&
        this.#peek(1) !== undefined
      ) {
        const dash = this.i;
        this.i++;
        const last = this.#classAtom();
        if (typeof last !== "number") this.fail("a class such as \\d cannot end a range", dash);
        if (last < first) this.fail("range out of order", dash);
        ranges.push([first, last]);
      } else if (typeof first === "number") ranges.push([first, first]);
      else ranges.push(...first);
    }
    this.i++;
    return this.#renderClass(ranges, negated);
  }

  /** One character, or the ranges of \d \w \s. */
  #classAtom(): number | [number, number][] {
    const start = this.i;
    if (this.#peek() !== "\\") {
      const cp = this.#src.codePointAt(this.i)!;
      this.i += cp > 0xffff ? 2 : 1;
      return cp;
    }
    const e = this.#src[this.i + 1];
    if (e === "d" || e === "w" || e === "s") {
      this.i += 2;
      return SETS[e]!;
    }
    if (e === "D" || e === "W" || e === "S")
      this.fail(`\\${e} cannot be used inside [...]; use [^...]`, start);
    if (e === "b") this.fail("\\b inside [...] is not supported", start);
    if (e === undefined) this.fail("\\ at the end of the pattern");
    return this.#escapedChar(start);
  }

  #renderClass(ranges: readonly [number, number][], negated: boolean): string {
    const all = [...ranges];
    if (this.#fold) {
      for (const [lo, hi] of ranges) {
        for (const [a, z, shift] of [
          [65, 90, 32],
          [97, 122, -32],
        ] as const) {
          const from = Math.max(lo, a);
          const to = Math.min(hi, z);
          if (from <= to) all.push([from + shift, to + shift]);
        }
      }
    }
    const ch = (cp: number) => {
      const s = String.fromCodePoint(cp);
      return CONTROL_ESCAPE.get(cp) ?? (CLASS_SPECIAL.has(s) ? `\\${s}` : s);
    };
    const body = all.map(([lo, hi]) => (lo === hi ? ch(lo) : `${ch(lo)}-${ch(hi)}`)).join("");
    return `[${negated ? "^" : ""}${body}]`;
  }
}
