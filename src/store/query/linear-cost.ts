/**
 * Linear steps: what V8's linear-time engine pays per character of text (regex.ts,
 * MAX_LINEAR_STEPS). The engine (linear-regexp.ts) runs all threads of an automaton side by side
 * and, for each character, steps every live thread and every fork that creates one. Counted
 * repeats are unrolled (`x{0,100}` is 100 copies of `x`, each behind a fork), so
 * `.{0,100}x` keeps a hundred threads alive on any text without a newline. Measured on Node 24
 * (V8 13.6), 100 kB of "a", ns per character: `a{0,16}x` 607, `{0,32}` 962, `{0,64}` 1719,
 * `{0,100}` 2624 (24 ns per optional copy); `a{64}x` 749 (12 ns per fixed copy); an alternation of
 * 60 characters that never match 1244 (20 ns per branch); the number of ranges in a class
 * changes nothing (`[acegikmo]{0,16}x` as `a{0,16}x`); `\b` before each of 60 words adds nothing;
 * 1 MB takes 10 times as long as 100 kB.
 *
 * So a piece counts one step for each thread it can keep alive and each fork: a character or a
 * class 1 per alternative of its UTF-16 form (`.` is a BMP class or a surrogate pair: 2, plus 1
 * fork), a sequence the sum, an alternation the sum and a fork per extra branch, `x{n,m}` m copies
 * and m - n forks, `x{n,}` n + 1 copies and a fork; assertions nothing, a lookbehind its body.
 * A sum assumes that every part is alive everywhere, which overcounts fixed text: the thread that
 * waits for the fifth letter of "error" is alive only after "erro". So a run of fixed strings
 * (a literal, or an alternation of literals such as a word list) counts the most threads that can
 * be alive at once over any text: those of the strings whose prefixes are all suffixes of the
 * same text (an Aho-Corasick automaton's failure chain), plus the forks. `\bone\b|\btwo\b|…`
 * with 60 words counts about 130, not the 360 of its letters.
 */

import { type Range, utf16Alternatives } from "./regex-forms.ts";

/** Most fixed strings tracked as one run: a longer product (`(a|b)(c|d)…`) is counted as a sum. */
export const MAX_RUN_STRINGS = 256;

/** The steps of alternatives (branches or copies) that a fork chooses between. */
export const forks = (alternatives: number) => Math.max(alternatives - 1, 0);

/** `x{min,max}` as the engine unrolls it, from the steps of `x`. */
export function repeatSteps(steps: number, min: number, max: number): number {
  return Number.isFinite(max) ? max * steps + (max - min) : (min + 1) * steps + 1;
}

/**
 * The most threads alive at once for a set of fixed strings (each string a list of code points,
 * or of case-folded keys) that may start at every position, plus the forks between them.
 */
export function stringSteps(strings: readonly (readonly string[])[]): number {
  type Node = { next: Map<string, Node>; waiting: number; fail: Node | null; alive: number };
  const node = (): Node => ({ next: new Map(), waiting: 0, fail: null, alive: 0 });
  const root = node();
  for (const s of strings) {
    let at = root;
    for (const ch of s) {
      at.waiting++; // a thread of this string waits here for its next character
      const child = at.next.get(ch) ?? node();
      at.next.set(ch, child);
      at = child;
    }
  }
  // breadth first: a node's failure link (its longest proper suffix in the trie) is shallower
  root.alive = root.waiting;
  let most = root.alive;
  const queue: Node[] = [root];
  for (let q = 0; q < queue.length; q++) {
    const at = queue[q]!;
    for (const [ch, child] of at.next) {
      let f = at.fail;
      while (f && !f.next.has(ch)) f = f.fail;
      child.fail = at === root ? root : (f?.next.get(ch) ?? root);
      child.alive = child.waiting + child.fail.alive;
      most = Math.max(most, child.alive);
      queue.push(child);
    }
  }
  return most + forks(strings.length);
}

/** What a piece of a pattern counts: its steps, and the fixed strings it matches if that is all. */
export interface Counted {
  steps: number;
  strings?: string[][];
}

/** A class on the linear engine: a thread for each alternative of its UTF-16 form, and the forks. */
export const classSteps = (ranges: readonly Range[], negated: boolean) => {
  const n = Math.max(utf16Alternatives(ranges, negated).length, 1);
  return n + forks(n);
};

/** A run of fixed strings and the pieces before it, summed up (linear-cost.ts). */
export class Steps {
  #done = 0;
  #run: string[][] | undefined = [[]];
  #mixed = false;

  add(piece: Counted): void {
    if (piece.strings && this.#run && this.#run.length * piece.strings.length <= MAX_RUN_STRINGS) {
      this.#run = this.#run.flatMap((a) => piece.strings!.map((b) => [...a, ...b]));
      return;
    }
    this.#flush();
    if (piece.strings) this.#run = piece.strings;
    else {
      this.#done += piece.steps;
      this.#mixed = true;
    }
  }

  #flush(): void {
    if (this.#run) this.#done += stringSteps(this.#run);
    this.#run = undefined;
    this.#mixed = true;
  }

  get result(): Counted {
    if (!this.#mixed && this.#run) return { steps: stringSteps(this.#run), strings: this.#run };
    return { steps: this.#done + (this.#run ? stringSteps(this.#run) : 0) };
  }
}
