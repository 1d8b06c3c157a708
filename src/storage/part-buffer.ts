/**
 * A fixed-size part buffer for object-storage writers: bytes are copied in
 * (so the caller may reuse its chunk at once) and each full part is handed
 * to `flush`, awaited before the buffer is filled again. One buffer per
 * writer keeps memory flat whatever the object size.
 */
export class PartBuffer {
  private buffer: Buffer;
  private filled = 0;

  constructor(
    size: number,
    private readonly flush: (part: Buffer) => Promise<void>,
  ) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Bytes waiting for the next part. */
  get pending(): Buffer {
    return this.buffer.subarray(0, this.filled);
  }

  /** Copies `chunk` in, flushing every part that fills. */
  async push(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.buffer.length - this.filled);
      this.buffer.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.buffer.length) await this.drain();
    }
  }

  /** Flushes what is pending as a (possibly short) part. */
  async drain(): Promise<void> {
    await this.flush(this.pending);
    this.filled = 0;
  }

  /** Frees the buffer (after commit or cancel). */
  release(): void {
    this.buffer = Buffer.alloc(0);
    this.filled = 0;
  }
}
