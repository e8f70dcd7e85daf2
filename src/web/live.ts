/**
 * The live feed behind the server-sent events: one reader polls the jobs' history (every state
 * change is a numbered row, written in the transition's own transaction) and hands new changes to
 * every open page. A page embeds the history's head when it is rendered and connects with it, and
 * EventSource reconnects with the last id it saw (Last-Event-ID): both replay what happened since,
 * so nothing is lost between render and connect, or across a dropped connection.
 *
 * Ids are handed out before commit: on PostgreSQL a transaction with a lower id may commit after
 * one with a higher id. The cursor (the id sent as the event id) therefore only advances over
 * contiguous ids; a gap is waited for `gapWaitMs` (a transaction still open) before it is taken
 * for a rollback. Changes past the cursor are delivered at once and remembered, not sent twice.
 */
import type { StateChange, WebBackend } from "./backend.ts";

/** [jobId, flowId, state]: what a page needs to recolour a node and a row. */
export type ChangeTuple = [number, number | null, string];

export interface Subscriber {
  /** Only changes of this flow; all when undefined. */
  flowId?: number;
  send(changes: ChangeTuple[], cursor: number): void;
  /** Too much was missed to replay: the page should reload. */
  reload(): void;
}

export interface FeedOptions {
  /** @defaultValue 400 */
  pollMs?: number;
  /** @defaultValue 10000 */
  gapWaitMs?: number;
  /** Replays longer than this ask the page to reload instead. @defaultValue 20000 */
  maxReplay?: number;
}

const BATCH = 5000;

export class ChangeFeed {
  readonly #backend: WebBackend;
  readonly #pollMs: number;
  readonly #gapWaitMs: number;
  readonly #maxReplay: number;
  readonly #subs = new Set<Subscriber>();
  /** Every id at or below it was delivered (or given up as a gap). */
  #cursor: number | null = null;
  readonly #ahead = new Set<number>();
  #gapSince: { id: number; at: number } | null = null;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(backend: WebBackend, options: FeedOptions = {}) {
    this.#backend = backend;
    this.#pollMs = options.pollMs ?? 400;
    this.#gapWaitMs = options.gapWaitMs ?? 10_000;
    this.#maxReplay = options.maxReplay ?? 20_000;
  }

  /** The newest history id now: what a page embeds so its events start where its data ended. */
  async head(): Promise<number> {
    return (await this.#backend.changes(Number.MAX_SAFE_INTEGER, 0)).head;
  }

  /** Replays the changes after `since`, then delivers new ones until the returned function runs. */
  subscribe(since: number, sub: Subscriber): () => void {
    let active = true;
    this.#enqueue(async () => {
      await this.#catchUp();
      if (!active) return;
      const replay: StateChange[] = [];
      let from = since;
      for (;;) {
        const r = await this.#backend.changes(from, BATCH);
        replay.push(...r.changes);
        if (replay.length > this.#maxReplay) {
          sub.reload();
          return;
        }
        if (r.changes.length < BATCH) break;
        from = r.changes.at(-1)!.id;
      }
      const tuples = toTuples(replay, sub.flowId);
      sub.send(tuples, Math.max(since, this.#cursor ?? 0));
      this.#subs.add(sub);
      this.#schedule();
    });
    return () => {
      active = false;
      this.#subs.delete(sub);
    };
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#subs.clear();
  }

  #enqueue(job: () => Promise<void>): void {
    this.#chain = this.#chain.then(job).catch(() => {
      // a failed read (database briefly down) is retried at the next poll; pages keep their state
    });
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#subs.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#enqueue(() => this.#catchUp());
      this.#enqueue(async () => this.#schedule());
    }, this.#pollMs);
  }

  /** Reads and delivers everything new, batch by batch. */
  async #catchUp(): Promise<void> {
    if (this.#closed) return;
    if (this.#cursor === null) {
      this.#cursor = await this.head();
      return;
    }
    for (;;) {
      const r = await this.#backend.changes(this.#cursor, BATCH);
      const fresh = r.changes.filter((c) => !this.#ahead.has(c.id));
      for (const c of fresh) this.#ahead.add(c.id);
      this.#advance(r.head);
      if (fresh.length > 0) for (const sub of this.#subs) sub.send(toTuples(fresh, sub.flowId), this.#cursor);
      if (r.changes.length < BATCH) return;
    }
  }

  #advance(head: number): void {
    let cursor = this.#cursor!;
    for (;;) {
      if (this.#ahead.delete(cursor + 1)) {
        cursor++;
        continue;
      }
      if (cursor >= head) break;
      const now = Date.now();
      if (this.#gapSince?.id !== cursor + 1) this.#gapSince = { id: cursor + 1, at: now };
      if (now - this.#gapSince.at < this.#gapWaitMs) break;
      cursor++; // a rollback, or a transaction open for too long: its change is lost to live pages
    }
    this.#cursor = cursor;
  }
}

function toTuples(changes: readonly StateChange[], flowId: number | undefined): ChangeTuple[] {
  const out: ChangeTuple[] = [];
  for (const c of changes)
    if (c.from !== c.to && (flowId === undefined || c.flowId === flowId)) out.push([c.jobId, c.flowId, c.to]);
  return out;
}
