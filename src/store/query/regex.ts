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
 *
 * Each pattern is written twice: `pattern` for PostgreSQL (code points), and `linear`, the same
 * meaning over UTF-16 for V8's linear-time engine, which SQLite uses so that no pattern can hang
 * it (linear-regexp.ts). That engine has no lookahead, so `(?=…)`/`(?!…)` are refused and `$`
 * with option m may only end the pattern (there it consumes the newline, which changes nothing
 * for "matches somewhere"); counts above 16 are written as several repeats.
 *
 * `engine` says where SQLite runs it. A pattern without any quantifier or alternation (a
 * literal such as "Segmentation fault", "^relax-", classes, anchors) tries each start position
 * once: V8's backtracking engine runs it in time linear in the text, and 70 times faster than the
 * linear-time engine (measured: 10,000 stacks of 4 KiB, 0.37 s against 26 s, load 24 on 2
 * cores). Anything else runs on the linear-time engine.
 */
import { linearProblem } from "./linear-regexp.ts";
import { Parser, RegexSyntaxError } from "./regex-parser.ts";
import { mostPaths } from "./zero-width.ts";
export const REGEX_OPTIONS = "ims";
export const MAX_PATTERN_LENGTH = 1000;

export type RegexEngine = "backtracking" | "linear";

export type RegexResult =
  | { ok: true; pattern: string; linear: string; engine: RegexEngine }
  | { ok: false; message: string };

/**
 * PostgreSQL compiles assertions (`^`, `$`, lookarounds, and `\b`, which it reads as two
 * lookbehinds and two lookaheads) in time exponential in the ways a pattern can pass them
 * between two characters, and refuses a pattern as "too complex" only after that time.
 * Measured on PostgreSQL 15 (zero-width.ts counts the ways): `(?:|$|^){12}` (531,441 ways)
 * takes 1.8 s and `{14}` over 20 s, so the `(|$|^){17,}` that a random test drew would run for
 * hours;
 * `\b(?:|^){14}` (32,768) 0.6 s; `(?:|\b){16}` is too complex. A pattern may have 4096 ways,
 * refused on both dialects past that: `\b` 12 times in a row, `(?:|$|^){7}`, `\b(?:|^){11}`
 * compile in a few milliseconds, and the slowest of some 8000 forms at the limit,
 * `\b(?:|(?<!)|a?){11}(?<!)`, in 70 ms. Assertions with a character between them do not add
 * up: `\bone\b|\btwo\b|…` may list any number of words.
 */
export const MAX_ZERO_WIDTH_PATHS = 4096;

/**
 * SQLite runs a pattern with a quantifier or an alternation on V8's linear-time engine, whose time
 * is the text's length times the threads the pattern keeps alive: counted repeats are unrolled,
 * so `.{0,100}x` over a 1 MB value took 5.4 s, four `.{0,100}` in a row 26 s, and 111 of them 94 s
 * over 100 kB. linear-cost.ts counts those steps per character (measured at 10 to 18 ns each
 * on Node 24, 2 cores), and a pattern may take 130, so that any accepted pattern answers over a
 * 1 MB value in about 2 s. Measured over 1 MB of "a" (no match): `a{0,74}x` (149 steps) 2.2 s,
 * `.{0,37}x` (149) 2.0 s and over 1 MB of 😀 1.2 s, `[A-Za-z_][A-Za-z0-9_]{0,63}x` (128) 1.8 s,
 * `\bone\b|\btwo\b|…` with 60 words (128) 1.1 s, and 60 words each followed by x over a text of
 * those words 1.7 s. Ordinary patterns count far less: `(error|warning): .*` 8,
 * `\d+\.\d{1,3}` 9, `(.*)(.*)(.*)(.*)(.*)x` 21.
 */
export const MAX_LINEAR_STEPS = 130;

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
    const paths = mostPaths(piece.zw);
    if (paths > MAX_ZERO_WIDTH_PATHS) {
      return {
        ok: false,
        message: `too many ways to pass anchors, word boundaries and lookbehinds (^ $ \\b \\B (?<= (?<!) with no character in between: ${paths >= 2 ** 40 ? "over 10^12" : paths}, where ${MAX_ZERO_WIDTH_PATHS} fit (PostgreSQL takes time exponential in them to compile the pattern); repeat such a group fewer times, as (?:|$|^){7} rather than {8}`,
      };
    }
    if (parser.branches && piece.steps > MAX_LINEAR_STEPS) {
      return {
        ok: false,
        message: `the pattern is too big for SQLite's linear-time engine: it counts ${piece.steps} steps per character of text, where ${MAX_LINEAR_STEPS} fit (each repeat is counted as often as it may repeat: .{0,100} is 100 copies, about 4 steps each; an alternation counts its branches); repeat less, as .{0,25} rather than .{0,100}, or write .* where any length will do`,
      };
    }
    const slow = linearProblem(piece.js);
    if (slow) return { ok: false, message: `the pattern cannot run in linear time: ${slow}` };
    return {
      ok: true,
      pattern: piece.text,
      linear: piece.js,
      engine: parser.branches ? "linear" : "backtracking",
    };
  } catch (e) {
    if (e instanceof RegexSyntaxError) return { ok: false, message: e.message };
    throw e;
  }
}
