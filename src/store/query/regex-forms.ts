/**
 * How regex.ts writes its two forms of a pattern. Character classes are rendered twice from one
 * set of code-point ranges:
 * - `text`: a code-point class, read the same by PostgreSQL's ARE and by JavaScript with `u`;
 * - `js`: the same set over UTF-16 code units, for V8's linear-time engine, which does not take
 *   the `u` flag (measured on Node 24: `/(a)(b)/lu` is refused). An astral range becomes
 *   alternatives of surrogate pairs, as regexpu does; lone surrogates are left out, since stored
 *   text is well-formed (the SQLite function matches `toWellFormed()` text).
 * Counted repeats are split for the linear engine, which refuses more than 16 copies of a body.
 */

export type Range = [number, number];

const MAX_CP = 0x10ffff;
const CONTROL_ESCAPE = new Map([
  [10, "\\n"],
  [9, "\\t"],
  [13, "\\r"],
  [12, "\\f"],
  [11, "\\v"],
]);
const CLASS_SPECIAL = new Set("\\]^-[");

/** Sorted, merged ranges. */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Every code point not in `ranges`. */
export function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** The code-point class (PostgreSQL, JavaScript `u`), as regex.ts has always written it. */
export function codePointClass(ranges: readonly Range[], negated: boolean): string {
  const ch = (cp: number) => {
    const s = String.fromCodePoint(cp);
    return CONTROL_ESCAPE.get(cp) ?? (CLASS_SPECIAL.has(s) ? `\\${s}` : s);
  };
  const body = ranges.map(([lo, hi]) => (lo === hi ? ch(lo) : `${ch(lo)}-${ch(hi)}`)).join("");
  return `[${negated ? "^" : ""}${body}]`;
}

const unit = (u: number) =>
  (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a)
    ? String.fromCharCode(u)
    : `\\u${u.toString(16).toUpperCase().padStart(4, "0")}`;

const unitRange = (lo: number, hi: number) => (lo === hi ? unit(lo) : `${unit(lo)}-${unit(hi)}`);

/** Surrogate-pair alternatives for astral code points lo..hi. */
function astral(lo: number, hi: number): string[] {
  const split = (cp: number) => [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)] as const;
  const [h1, l1] = split(lo);
  const [h2, l2] = split(hi);
  if (h1 === h2) return [`${unit(h1)}[${unitRange(l1, l2)}]`];
  const out: string[] = [];
  let from = h1;
  let to = h2;
  if (l1 !== 0xdc00) {
    out.push(`${unit(h1)}[${unitRange(l1, 0xdfff)}]`);
    from++;
  }
  if (l2 !== 0xdfff) to--;
  if (from <= to) out.push(`[${unitRange(from, to)}][\\uDC00-\\uDFFF]`);
  if (l2 !== 0xdfff) out.push(`${unit(h2)}[${unitRange(0xdc00, l2)}]`);
  return out;
}

/** The alternatives of a set over UTF-16: one BMP class, then surrogate pairs. */
export function utf16Alternatives(ranges: readonly Range[], negated: boolean): string[] {
  const set = negated ? complement(ranges) : normalize(ranges);
  const bmp: string[] = [];
  const pairs: string[] = [];
  for (const [lo, hi] of set) {
    for (const [a, b] of [
      [lo, Math.min(hi, 0xd7ff)],
      [Math.max(lo, 0xe000), Math.min(hi, 0xffff)],
    ] as const) {
      if (a <= b) bmp.push(unitRange(a, b));
    }
    if (hi >= 0x10000) pairs.push(...astral(Math.max(lo, 0x10000), hi));
  }
  return [...(bmp.length > 0 ? [`[${bmp.join("")}]`] : []), ...pairs];
}

/** The same set as a UTF-16 pattern for the linear-time engine (one unit: a class or a group). */
export function utf16Class(ranges: readonly Range[], negated: boolean): string {
  const alternatives = utf16Alternatives(ranges, negated);
  if (alternatives.length === 0) return "[^\\s\\S]";
  return alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join("|")})`;
}

/** One literal character for the linear engine (an astral one is a pair: grouped for quantifiers). */
export function utf16Literal(cp: number, text: string): string {
  return cp > 0xffff ? `(?:${String.fromCodePoint(cp)})` : text;
}

/** The linear engine replicates a counted repeat's body: it refuses more than 16 copies. */
const LINEAR_MAX_COUNT = 16;

export interface Quantifier {
  text: string;
  min: number;
  max: number;
}

/**
 * `unit` repeated as `q` says, for the linear engine: counts above 16 become several repeats in
 * a row (x{40} is x{16}x{16}x{8}), which match the same strings.
 */
export function linearRepeat(unit: string, q: Quantifier): string {
  const { min, max } = q;
  const fits = Number.isFinite(max) ? max <= LINEAR_MAX_COUNT : min + 1 <= LINEAR_MAX_COUNT;
  if (fits) return unit + q.text;
  let out = "";
  let need = min;
  while (need > LINEAR_MAX_COUNT || (!Number.isFinite(max) && need >= LINEAR_MAX_COUNT)) {
    out += `${unit}{${LINEAR_MAX_COUNT}}`;
    need -= LINEAR_MAX_COUNT;
  }
  if (!Number.isFinite(max)) return `${out}${unit}{${need},}`;
  out += need > 0 ? `${unit}{${need}}` : "";
  for (let left = max - min; left > 0; left -= LINEAR_MAX_COUNT)
    out += `${unit}{0,${Math.min(left, LINEAR_MAX_COUNT)}}`;
  return out;
}
