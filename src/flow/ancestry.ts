/**
 * "Is job A an ancestor of job B?" for a flow's graph, answered without materialising anyone's
 * ancestor set. Keeping every job's full ancestor set made `ferry add` quadratic: a 10,000-job
 * chain took 6.5 s and 1.78 GB, a 20,000-job chain ran out of heap (issue #13).
 *
 * One iterative depth-first walk (parents → children) labels each node in O(jobs + edges):
 * - pre/post order: r is an ancestor of j if j lies in r's subtree of the walk's spanning forest
 *   (a tree path is a real path) — decides chains, fan-outs and trees at once;
 * - a GRAIL interval [low, post] (Yildirim, Chaoji & Zaki, "GRAIL: scalable reachability index
 *   for large graphs", VLDB 2010): if r reaches j, j's interval lies inside r's, so an interval
 *   that does not contain j's proves "not an ancestor".
 * Only pairs neither label decides are swept, 256 referenced jobs at a time (#propagate).
 * Cost: O(jobs + edges) to label, O(1) per decided pair, and O(jobs + edges) per 256 distinct
 * referenced jobs whose pairs the labels leave open — flows whose references go to parents,
 * along chains or down trees never get there.
 */

/** 32-bit words of referenced-job bits per node in one sweep: 256 referenced jobs at a time. */
const WORDS = 8;
const BATCH = WORDS * 32;

export interface AncestryEdges {
  /** Every node name. */
  readonly names: readonly string[];
  /** [parent, child] pairs, by name; names outside `names` are ignored. */
  readonly edges: Iterable<readonly [string, string]>;
}

export class Ancestry {
  readonly #index = new Map<string, number>();
  /** Children of node i: #targets[#offsets[i] .. #offsets[i+1]). */
  readonly #offsets: Int32Array;
  readonly #targets: Int32Array;
  readonly #pre: Int32Array;
  readonly #post: Int32Array;
  readonly #low: Int32Array;
  /** False if the edges hold a cycle: the labels then prove nothing and every pair is searched. */
  readonly #acyclic: boolean;
  readonly #seen: Int32Array;
  #epoch = 0;

  constructor(graph: AncestryEdges) {
    for (const n of graph.names) if (!this.#index.has(n)) this.#index.set(n, this.#index.size);
    const n = this.#index.size;
    const from: number[] = [];
    const to: number[] = [];
    const degree = new Int32Array(n + 1);
    for (const [p, c] of graph.edges) {
      const a = this.#index.get(p);
      const b = this.#index.get(c);
      if (a === undefined || b === undefined) continue;
      from.push(a);
      to.push(b);
      degree[a]! += 1;
    }
    this.#offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.#offsets[i + 1] = this.#offsets[i]! + degree[i]!;
    this.#targets = new Int32Array(from.length);
    const fill = this.#offsets.slice(0, n);
    const hasParent = new Uint8Array(n);
    for (let e = 0; e < from.length; e++) {
      this.#targets[fill[from[e]!]!++] = to[e]!;
      hasParent[to[e]!] = 1;
    }
    this.#pre = new Int32Array(n).fill(-1);
    this.#post = new Int32Array(n);
    this.#low = new Int32Array(n);
    this.#seen = new Int32Array(n);
    this.#acyclic = this.#label(hasParent);
  }

  /** Iterative DFS from the roots (then from anything left, which only a cycle leaves). */
  #label(hasParent: Uint8Array): boolean {
    const n = this.#pre.length;
    const onStack = new Uint8Array(n);
    const stack = new Int32Array(n);
    const cursor = new Int32Array(n);
    let pre = 0;
    let post = 0;
    let acyclic = true;
    const walk = (root: number) => {
      let top = 0;
      stack[0] = root;
      cursor[root] = this.#offsets[root]!;
      this.#pre[root] = pre++;
      onStack[root] = 1;
      while (top >= 0) {
        const u = stack[top]!;
        if (cursor[u]! < this.#offsets[u + 1]!) {
          const c = this.#targets[cursor[u]!++]!;
          if (this.#pre[c] === -1) {
            this.#pre[c] = pre++;
            cursor[c] = this.#offsets[c]!;
            onStack[c] = 1;
            stack[++top] = c;
          } else if (onStack[c]) acyclic = false;
          continue;
        }
        let low = post;
        for (let e = this.#offsets[u]!; e < this.#offsets[u + 1]!; e++)
          low = Math.min(low, this.#low[this.#targets[e]!]!);
        this.#post[u] = post++;
        this.#low[u] = low;
        onStack[u] = 0;
        top--;
      }
    };
    for (let i = 0; i < n; i++) if (!hasParent[i] && this.#pre[i] === -1) walk(i);
    for (let i = 0; i < n; i++) if (this.#pre[i] === -1) walk(i);
    return acyclic;
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  /** true / false when the labels decide it; undefined when only a search can. */
  #decide(r: number, j: number): boolean | undefined {
    if (r === j) return false;
    if (!this.#acyclic) return undefined;
    if (this.#pre[r]! < this.#pre[j]! && this.#post[j]! < this.#post[r]!) return true;
    if (this.#low[r]! > this.#low[j]! || this.#post[j]! > this.#post[r]!) return false;
    return undefined;
  }

  /**
   * For each [ancestor, descendant] pair, whether the first is a strict ancestor of the second.
   * Unknown names are never ancestors.
   */
  areAncestors(pairs: readonly (readonly [string, string])[]): boolean[] {
    const out = new Array<boolean>(pairs.length).fill(false);
    const open: { r: number; j: number; at: number }[] = [];
    pairs.forEach(([a, d], at) => {
      const r = this.#index.get(a);
      const j = this.#index.get(d);
      if (r === undefined || j === undefined) return;
      const decided = this.#decide(r, j);
      if (decided === undefined) open.push({ r, j, at });
      else out[at] = decided;
    });
    if (open.length === 0) return out;
    if (this.#acyclic) this.#propagate(open, out);
    else for (const q of open) out[q.at] = this.#reaches(q.r, q.j);
    return out;
  }

  /**
   * The pairs the labels left open, a batch of up to 256 referenced jobs at a time: each gets a
   * bit, and one sweep in topological order ORs every node's bits into its children, over only
   * the span of post-order numbers between the batch's jobs and the jobs that name them. One
   * search per referenced job instead visited the whole graph below it once per job: 0.6 s and
   * 50 MB for the 500 references of issue #13's gather DAG.
   */
  #propagate(open: readonly { r: number; j: number; at: number }[], out: boolean[]): void {
    const n = this.#post.length;
    const byPost = new Int32Array(n);
    for (let u = 0; u < n; u++) byPost[this.#post[u]!] = u;
    const targets = [...new Set(open.map((q) => q.r))].sort((a, b) => this.#post[b]! - this.#post[a]!);
    const bit = new Map(targets.map((r, i) => [r, i]));
    const batches = Array.from(
      { length: Math.ceil(targets.length / BATCH) },
      () => [] as { r: number; j: number; at: number }[],
    );
    for (const q of open) batches[Math.floor(bit.get(q.r)! / BATCH)]!.push(q);
    const bits = new Int32Array(n * WORDS);
    for (const [b, asks] of batches.entries()) {
      const first = b * BATCH;
      const batch = targets.slice(first, first + BATCH);
      const hi = this.#post[batch[0]!]!;
      let lo = hi;
      for (const q of asks) lo = Math.min(lo, this.#post[q.j]!);
      batch.forEach((r, i) => {
        bits[r * WORDS + (i >> 5)]! |= 1 << (i & 31);
      });
      for (let k = hi; k >= lo; k--) {
        const u = byPost[k]!;
        const base = u * WORDS;
        let any = 0;
        for (let w = 0; w < WORDS; w++) any |= bits[base + w]!;
        if (any === 0) continue;
        for (let e = this.#offsets[u]!; e < this.#offsets[u + 1]!; e++) {
          const c = this.#targets[e]!;
          if (this.#post[c]! < lo) continue;
          for (let w = 0; w < WORDS; w++) bits[c * WORDS + w]! |= bits[base + w]!;
        }
      }
      for (const q of asks) {
        const i = bit.get(q.r)! - first;
        out[q.at] = (bits[q.j * WORDS + (i >> 5)]! & (1 << (i & 31))) !== 0;
      }
      for (let k = hi; k >= lo; k--) bits.fill(0, byPost[k]! * WORDS, byPost[k]! * WORDS + WORDS);
    }
  }

  /** Plain search down from r, for a graph whose labels prove nothing. */
  #reaches(r: number, j: number): boolean {
    const epoch = ++this.#epoch;
    const queue = [r];
    this.#seen[r] = epoch;
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q]!;
      for (let e = this.#offsets[u]!; e < this.#offsets[u + 1]!; e++) {
        const c = this.#targets[e]!;
        if (c === j) return true;
        if (this.#seen[c] === epoch) continue;
        this.#seen[c] = epoch;
        queue.push(c);
      }
    }
    return false;
  }
}
