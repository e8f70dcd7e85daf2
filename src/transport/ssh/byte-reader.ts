/** Pull-style reading of a byte stream (a remote script's stdout) as it arrives. */

export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** Buffer at least `n` bytes; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    const parts: Buffer[] = [this.#buf];
    let have = this.#buf.length;
    while (have < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) {
        this.#done = true;
        break;
      }
      const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      parts.push(b);
      have += b.length;
    }
    if (parts.length > 1) this.#buf = Buffer.concat(parts, have);
    return this.#buf.length >= n;
  }

  /** Bytes up to the next NUL (which is consumed), or null at the end of the stream. */
  async field(): Promise<string | null> {
    let from = 0;
    for (;;) {
      const at = this.#buf.indexOf(0, from);
      if (at !== -1) {
        const s = this.#buf.toString("utf8", 0, at);
        this.#buf = this.#buf.subarray(at + 1);
        return s;
      }
      from = this.#buf.length;
      if (!(await this.fill(this.#buf.length + 1))) return null;
    }
  }

  /** Exactly `n` bytes, or fewer when the stream ends first. */
  async take(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }

  /** `n` bytes delivered in pieces as they arrive (for large files); false when the stream ended early. */
  async pipe(n: number, sink: (chunk: Buffer) => void | Promise<void>): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.fill(1))) return false;
      const piece = this.#buf.subarray(0, Math.min(left, this.#buf.length));
      this.#buf = this.#buf.subarray(piece.length);
      left -= piece.length;
      await sink(piece);
    }
    return true;
  }

  /** Read and drop the rest, so the producer is never blocked on a full pipe. */
  async drain(): Promise<void> {
    this.#buf = Buffer.alloc(0);
    while (!this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
    }
  }
}
