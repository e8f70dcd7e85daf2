/**
 * Zero-width paths: the ways a pattern can pass its assertions (`^`, `$`, `\b`, lookbehinds)
 * between two characters, which is what PostgreSQL's compiler pays for (regex.ts,
 * MAX_ZERO_WIDTH_PATHS). It moves each assertion through the automaton to the characters around
 * it, copying states for every way to get there, so `(?:|$|^){12}` — 3^12 ways from one
 * character to the next — compiles for 1.8 s. Assertions with a character between them do not
 * add up: `\bone\b|\btwo\b|…` with 60 words compiles in 9 ms.
 *
 * Each piece of a pattern is summed up by the paths that cross it without a character, that
 * lead from its start to its first characters, from its last characters to its end, and the
 * most between two characters inside it; a sequence multiplies what meets at the joint, an
 * alternation adds. Paths that pass no assertion count once together (`(|a?|b?)` is one way).
 */

export interface ZeroWidth {
  /** Zero-width paths from the start of the piece to its end. */
  through: number;
  /** Zero-width paths from the start of the piece to a character in it. */
  head: number;
  /** Zero-width paths from a character in the piece to its end. */
  tail: number;
  /** Whether one of the `through`, `head`, `tail` paths passes no assertion. */
  bare: [through: boolean, head: boolean, tail: boolean];
  /** The most zero-width paths between two characters of the piece, or inside a lookbehind. */
  inner: number;
}

/** Counts beyond this are all "too many" (and cannot overflow to Infinity, whose 0 * ∞ is NaN). */
const CEILING = 2 ** 40;
const cap = (n: number) => Math.min(n, CEILING);

export const EMPTY: ZeroWidth = { through: 1, head: 0, tail: 0, bare: [true, false, false], inner: 0 };
export const CHARACTER: ZeroWidth = { through: 0, head: 1, tail: 1, bare: [false, true, true], inner: 0 };

/** An assertion with `paths` ways through it (`\b` has two: a word character before or after). */
export const assertion = (paths: number, inner = 0): ZeroWidth => ({
  through: paths,
  head: 0,
  tail: 0,
  bare: [false, false, false],
  inner,
});

/** x then y. Counts multiply where they meet; two bare paths to the same place are one. */
export function sequence(x: ZeroWidth, y: ZeroWidth): ZeroWidth {
  const [xThrough, xHead, xTail] = x.bare;
  const [yThrough, yHead, yTail] = y.bare;
  return {
    through: cap(x.through * y.through),
    head: cap(x.head + x.through * y.head - Number(xHead && xThrough && yHead)),
    tail: cap(y.tail + x.tail * y.through - Number(yTail && xTail && yThrough)),
    bare: [xThrough && yThrough, xHead || (xThrough && yHead), yTail || (xTail && yThrough)],
    inner: cap(Math.max(x.inner, y.inner, x.tail * y.head)),
  };
}

/** x or y: counts add, and bare paths are one. */
export function alternative(x: ZeroWidth, y: ZeroWidth): ZeroWidth {
  const both = x.bare.map((b, i) => b && y.bare[i]);
  return {
    through: x.through + y.through - Number(both[0]),
    head: x.head + y.head - Number(both[1]),
    tail: x.tail + y.tail - Number(both[2]),
    bare: [x.bare[0] || y.bare[0], x.bare[1] || y.bare[1], x.bare[2] || y.bare[2]],
    inner: Math.max(x.inner, y.inner),
  };
}

/** `x{min,max}` as PostgreSQL unrolls it: `min` copies, then optional ones (2 when unbounded). */
export function repeat(x: ZeroWidth, min: number, max: number): ZeroWidth {
  const optional = alternative(x, EMPTY);
  let out = EMPTY;
  for (let i = 0; i < min; i++) out = sequence(out, x);
  const more = Number.isFinite(max) ? max - min : 2;
  for (let i = 0; i < more; i++) out = sequence(out, optional);
  return out;
}

/** The most zero-width paths between two characters (or the ends) of a whole pattern. */
export const mostPaths = (z: ZeroWidth) => Math.max(z.through, z.head, z.tail, z.inner);
