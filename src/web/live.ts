/**
 * The live feed behind the server-sent events: one reader polls the jobs' history (every state
 * change is a numbered row, written in the transition's own transaction) and hands new changes to
 * every open page. A page embeds the history's head when it is rendered and connects with it, and
 * EventSource reconnects with the last id it saw (Last-Event-ID): both replay what happened since,
 * so nothing is lost between render and connect, or across a dropped connection.
 *
 * The cursor sent as the event id is the facade's `last`: every change up to it was delivered,
 * so a page resuming there misses nothing (on PostgreSQL the facade holds back a change that
 * follows a gap young enough to be a transaction still committing: api/reads.ts).
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
  /** Replays longer than this ask the page to reload instead. @defaultValue 20000 */
  maxReplay?: number;
}

const BATCH = 5000;

export class ChangeFeed {
  readonly #backend: WebBackend;
  readonly #pollMs: number;
  readonly #maxReplay: number;
  readonly #subs = new Set<Subscriber>();
  /** Every change up to this id was delivered. */
  #cursor: number | null = null;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(backend: WebBackend, options: FeedOptions = {}) {
    this.#backend = backend;
    this.#pollMs = options.pollMs ?? 400;
    this.#maxReplay = options.maxReplay ?? 20_000;
  }

  /** The newest history id now: what a page embeds so its events start where its data ended. */
  async head(): Promise<number> {
    let done = false;
    let head = 0;
    this.#enqueue(async () => {
      await this.#catchUp();
      head = this.#cursor ?? 0;
      done = true;
    });
    await this.#chain;
    if (!done) head = await this.#backend.latestChange();
    return head;
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
        from = r.last;
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
      this.#cursor = await this.#backend.latestChange();
      return;
    }
    for (;;) {
      const r = await this.#backend.changes(this.#cursor, BATCH);
      this.#cursor = r.last;
      if (r.changes.length > 0)
        for (const sub of this.#subs) sub.send(toTuples(r.changes, sub.flowId), r.last);
      if (r.changes.length < BATCH) return;
    }
  }
}

function toTuples(changes: readonly StateChange[], flowId: number | undefined): ChangeTuple[] {
  const out: ChangeTuple[] = [];
  for (const c of changes)
    if (c.from !== c.to && (flowId === undefined || c.flowId === flowId)) out.push([c.jobId, c.flowId, c.to]);
  return out;
}
