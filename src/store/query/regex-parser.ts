/**
 * The parser of `$regex` patterns (regex.ts describes the syntax and why it is rewritten): a
 * recursive descent that writes each piece in both forms as it goes, and refuses what either
 * engine would read differently or could not run.
 */

import { classSteps, forks, MAX_RUN_STRINGS, repeatSteps, Steps, stringSteps } from "./linear-cost.ts";
import {
  codePointClass,
  linearRepeat,
  type Quantifier,
  type Range,
  utf16Class,
  utf16Literal,
} from "./regex-forms.ts";
import {
  alternative,
  assertion,
  CHARACTER,
  EMPTY,
  mostPaths,
  repeat,
  sequence,
  type ZeroWidth,
} from "./zero-width.ts";

export const MAX_REPEAT = 100;

/** UTF-16 only: not between the two halves of a surrogate pair. */
const NOT_MID_PAIR = "(?<![\\uD800-\\uDBFF])";

export interface Piece {
  text: string;
  /** The same for the linear-time engine (UTF-16, no lookahead). */
  js: string;
  /** Ends in a line-end `$` (option m) that nothing may follow. */
  lineEnd?: boolean;
  /** How it can pass assertions without a character (zero-width.ts, for MAX_ZERO_WIDTH_PATHS). */
  zw: ZeroWidth;
  /** Can take a quantifier (not an anchor or lookaround). */
  quantifiable: boolean;
  /** Contains a quantifier that repeats more than once (for the nested-repetition rule). */
  repeats: boolean;
  /** Steps per character of text on the linear-time engine (linear-cost.ts, for MAX_LINEAR_STEPS). */
  steps: number;
  /** The fixed strings it matches, if that is all it matches (case-folded keys; assertions ignored). */
  strings?: string[][];
}

/** A zero-width piece: no steps, matches the empty string. */
const ZERO = { steps: 0, strings: [[]] as string[][] };

export class RegexSyntaxError extends Error {}

const SYNTAX = new Set("^$\\.*+?()[]{}|/");
const WORD = "[0-9A-Za-z_]";
const SETS: Record<string, Range[]> = {
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

export class Parser {
  i = 0;
  /** A quantifier or an alternation was read: backtracking could take polynomial or exponential time. */
  branches = false;
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
      this.branches = true;
      this.i++;
      branches.push(this.#sequence());
    }
    const strings = branches.every((b) => b.strings) ? branches.flatMap((b) => b.strings!) : undefined;
    return {
      ...(strings && strings.length <= MAX_RUN_STRINGS
        ? { steps: stringSteps(strings), strings }
        : { steps: branches.reduce((n, b) => n + b.steps, 0) + forks(branches.length) }),
      text: branches.map((b) => b.text).join("|"),
      js: branches.map((b) => b.js).join("|"),
      quantifiable: true,
      repeats: branches.some((b) => b.repeats),
      lineEnd: branches.some((b) => b.lineEnd),
      zw: branches.map((b) => b.zw).reduce(alternative),
    };
  }

  #sequence(): Piece {
    let text = "";
    let js = "";
    let repeats = false;
    let lineEnd = false;
    let zw = EMPTY;
    const steps = new Steps();
    while (this.i < this.#src.length && this.#peek() !== "|" && this.#peek() !== ")") {
      const start = this.i;
      if (lineEnd) this.#failLineEnd(start);
      let atom = this.#atom();
      const q = this.#quantifier();
      if (q) {
        if (!atom.quantifiable) this.fail("nothing to repeat", start);
        if (q.max > 1 && atom.repeats) {
          this.fail("nested repetition such as (a+)+ can take exponential time; repeat the inner part only");
        }
        if (q.max > 1 && atom.lineEnd) this.#failLineEnd(start);
        // every quantifiable piece is one unit already: a character, a class or a group
        atom = {
          text: atom.text + q.text,
          js: linearRepeat(atom.js, q),
          quantifiable: false,
          repeats: atom.repeats || q.max > 1,
          lineEnd: atom.lineEnd,
          zw: repeat(atom.zw, q.min, q.max),
          steps: repeatSteps(atom.steps, q.min, q.max),
        };
      }
      text += atom.text;
      js += atom.js;
      repeats ||= atom.repeats;
      lineEnd ||= atom.lineEnd === true;
      zw = sequence(zw, atom.zw);
      steps.add(atom);
    }
    return { text, js, quantifiable: true, repeats, lineEnd, zw, ...steps.result };
  }

  #failLineEnd(at: number): never {
    this.fail(
      "with option m, $ can only end the pattern (SQLite runs patterns on a linear-time engine, which has no lookahead)",
      at,
    );
  }

  /** A quantifier at the cursor, or undefined. Lazy `?` is dropped: it cannot change whether a pattern matches. */
  #quantifier(): Quantifier | undefined {
    const c = this.#peek();
    let text: string;
    let min: number;
    let max: number;
    if (c === "*" || c === "+" || c === "?") {
      this.i++;
      text = c;
      min = c === "+" ? 1 : 0;
      max = c === "?" ? 1 : Number.POSITIVE_INFINITY;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(this.i));
      if (!m) return undefined;
      min = Number(m[1]);
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
    this.branches = true;
    return { text, min, max };
  }

  #atom(): Piece {
    const start = this.i;
    const c = this.#peek()!;
    const anchor = (text: string, zw = assertion(1)): Piece => ({
      text,
      js: text,
      quantifiable: false,
      repeats: false,
      zw,
      ...ZERO,
    });
    switch (c) {
      case "(":
        return this.#group();
      case "[":
        return this.#class();
      case ".":
        this.i++;
        return this.#dotAll
          ? {
              text: ".",
              js: utf16Class([[0, 0x10ffff]], false),
              quantifiable: true,
              repeats: false,
              zw: CHARACTER,
              steps: classSteps([[0, 0x10ffff]], false),
            }
          : this.#renderClass([[10, 10]], true);
      case "^":
        this.i++;
        return this.#multiline ? anchor("(?:^|(?<=\\n))", assertion(2)) : anchor("^");
      case "$":
        this.i++;
        if (!this.#multiline) return anchor("$");
        // "(?:$|(?=\n))" needs a lookahead; at the end of the pattern consuming the \n is the same
        return {
          ...anchor("(?:$|\\n)", alternative(assertion(1), CHARACTER)),
          lineEnd: true,
          steps: stringSteps([[], ["\n"]]),
          strings: [[], ["\n"]],
        };
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
    return this.#literalPiece(cp);
  }

  #literalPiece(cp: number): Piece {
    const text = this.#literal(cp);
    const ch = String.fromCodePoint(cp);
    const key = this.#fold ? ch.replace(/[A-Z]/, (c) => c.toLowerCase()) : ch;
    return {
      text,
      js: utf16Literal(cp, text),
      quantifiable: true,
      repeats: false,
      zw: CHARACTER,
      steps: 1,
      strings: [[key]],
    };
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
      if (kind === "=" || kind === "!") {
        this.fail(
          "lookahead (?= (?! is not supported: SQLite runs patterns on a linear-time engine, which has none (lookbehind (?<= (?<! is supported)",
        );
      }
      this.i += 1 + kind.length;
      open = `(?${kind}`;
      quantifiable = kind === ":";
    }
    const inner = this.alternation();
    if (this.#peek() !== ")") this.fail("missing )", start);
    if (inner.lineEnd && !quantifiable) this.#failLineEnd(start);
    this.i++;
    return {
      text: `${open}${inner.text})`,
      // in UTF-16 there is a position inside each surrogate pair, which no code point has
      js: quantifiable ? `${open}${inner.js})` : `${NOT_MID_PAIR}${open}${inner.js})`,
      quantifiable,
      repeats: inner.repeats,
      lineEnd: inner.lineEnd,
      // PostgreSQL compiles a lookbehind on its own, and passes it as one assertion
      zw: quantifiable ? inner.zw : assertion(1, mostPaths(inner.zw)),
      // a lookbehind runs its own threads beside the pattern's
      ...(quantifiable ? { steps: inner.steps, strings: inner.strings } : { steps: inner.steps }),
    };
  }

  #escape(): Piece {
    const start = this.i;
    const e = this.#src[this.i + 1];
    if (e === undefined) this.fail("\\ at the end of the pattern");
    if ("dDwWsS".includes(e)) {
      const lower = e.toLowerCase();
      this.i += 2;
      return this.#renderClass(SETS[lower]!, e !== lower);
    }
    if (e === "b" || e === "B") {
      this.i += 2;
      const text =
        e === "b"
          ? `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`
          : `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;
      // JavaScript's own \b without the u and i flags is exactly this ASCII word boundary
      // \b never holds inside a surrogate pair (no word character on either side); \B would
      const js = e === "b" ? "\\b" : `${NOT_MID_PAIR}\\B`;
      // two ways through, each a lookbehind and a lookahead for PostgreSQL
      return { text, js, quantifiable: false, repeats: false, zw: assertion(2), ...ZERO };
    }
    if (e === "A" || e === "z") {
      this.i += 2;
      const text = e === "A" ? "^" : "$";
      return { text, js: text, quantifiable: false, repeats: false, zw: assertion(1), ...ZERO };
    }
    return this.#literalPiece(this.#escapedChar(start));
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

  #class(): Piece {
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

  #renderClass(ranges: readonly Range[], negated: boolean): Piece {
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
    return {
      text: codePointClass(all, negated),
      js: utf16Class(all, negated),
      quantifiable: true,
      repeats: false,
      zw: CHARACTER,
      steps: classSteps(all, negated),
    };
  }
}
