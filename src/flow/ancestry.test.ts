import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Ancestry } from "./ancestry.ts";

/** Ancestors by brute force: the closure every job used to carry. */
function closure(n: number, edges: readonly (readonly [number, number])[]): Set<number>[] {
  const parents = Array.from({ length: n }, () => [] as number[]);
  for (const [p, c] of edges) parents[c]!.push(p);
  const memo = new Map<number, Set<number>>();
  const of = (i: number): Set<number> => {
    const got = memo.get(i);
    if (got) return got;
    const s = new Set<number>();
    for (const p of parents[i]!) {
      s.add(p);
      for (const a of of(p)) s.add(a);
    }
    memo.set(i, s);
    return s;
  };
  return Array.from({ length: n }, (_, i) => of(i));
}

// a random DAG: edges only from a lower to a higher index, names shuffled so order proves nothing
const dag = fc.integer({ min: 2, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.uniqueArray(
      fc
        .tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }))
        .filter(([a, b]) => a !== b)
        .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
      { selector: ([a, b]) => `${a}-${b}`, maxLength: Math.min(n * 3, (n * (n - 1)) / 2) },
    ),
    order: fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: n, maxLength: n },
    ),
  }),
);

test("every pair answered as the full ancestor sets answer it, on random DAGs", () => {
  fc.assert(
    fc.property(dag, ({ n, edges, order }) => {
      const name = (i: number) => `j${order[i]}`;
      const a = new Ancestry({
        names: Array.from({ length: n }, (_, i) => name(i)),
        edges: edges.map(([p, c]) => [name(p), name(c)] as const),
      });
      const truth = closure(n, edges);
      const pairs: [string, string][] = [];
      const want: boolean[] = [];
      for (let r = 0; r < n; r++)
        for (let j = 0; j < n; j++) {
          pairs.push([name(r), name(j)]);
          want.push(truth[j]!.has(r));
        }
      assert.deepEqual(a.areAncestors(pairs), want);
    }),
    { numRuns: 300 },
  );
});

test("a graph with a cycle (possible only through bad existing data) is still answered by search", () => {
  const a = new Ancestry({
    names: ["a", "b", "c", "d"],
    edges: [
      ["a", "b"],
      ["b", "c"],
      ["c", "a"],
      ["c", "d"],
    ],
  });
  assert.deepEqual(
    a.areAncestors([
      ["a", "d"],
      ["d", "a"],
      ["b", "a"],
      ["a", "a"],
      ["zz", "a"],
    ]),
    [true, false, true, false, false],
  );
});

test("a 200,000-job chain, every job naming the first and its grandparent: no deep recursion, under a second", () => {
  const n = 200_000;
  const names = Array.from({ length: n }, (_, i) => `j${i}`);
  const edges = names.slice(1).map((x, i) => [names[i]!, x] as const);
  const t0 = performance.now();
  const a = new Ancestry({ names, edges });
  const pairs: [string, string][] = [];
  for (let i = 2; i < n; i++)
    pairs.push(["j0", names[i]!], [names[i - 2]!, names[i]!], [names[i]!, names[i - 1]!]);
  const got = a.areAncestors(pairs);
  const ms = performance.now() - t0;
  for (let k = 0; k < got.length; k += 3) assert.deepEqual(got.slice(k, k + 3), [true, true, false]);
  assert.ok(ms < 5_000, `${ms.toFixed(0)} ms`);
});

test("more referenced jobs than one sweep holds (256), on a random DAG of 3,000 jobs", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      let x = seed;
      const rand = (k: number) => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x % k;
      };
      const n = 3000;
      const edges: [number, number][] = [];
      for (let c = 1; c < n; c++) for (let k = 0; k < 1 + rand(3); k++) edges.push([rand(c), c]);
      const unique = [...new Map(edges.map((e) => [`${e[0]}-${e[1]}`, e])).values()];
      const a = new Ancestry({
        names: Array.from({ length: n }, (_, i) => `j${i}`),
        edges: unique.map(([p, c]) => [`j${p}`, `j${c}`] as const),
      });
      const truth = closure(n, unique);
      const pairs = Array.from({ length: 8000 }, () => [rand(n), rand(n)] as const);
      assert.deepEqual(
        a.areAncestors(pairs.map(([r, j]) => [`j${r}`, `j${j}`])),
        pairs.map(([r, j]) => truth[j]!.has(r)),
      );
    }),
    { numRuns: 5 },
  );
});
