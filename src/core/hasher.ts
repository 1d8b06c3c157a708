/**
 * Running sha256 hashes of uploads, computed on a worker thread so a push
 * uses both cores: the main thread receives and writes bytes, the worker
 * hashes them. Uploads are handled in 1 MiB batches from this pool; a batch
 * is handed to the worker after it is written and handed back after hashing,
 * then reused; at most
 * {@link MAX_IN_FLIGHT} bytes wait for the worker, so memory stays flat
 * whatever the blob size.
 */
import { Worker } from 'node:worker_threads';

/** Size of the batches uploads are written and hashed in. */
export const BATCH = 1024 * 1024;
const MAX_IN_FLIGHT = 8 * 1024 * 1024;
/** Batch buffers kept for reuse; more than in flight at once is never needed. */
const POOL = MAX_IN_FLIGHT / BATCH + 2;

/** One worker holding many named running hashes, and the pool of batch buffers. */
export class Hasher {
  private worker: Worker | undefined;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private readonly pending = new Map<number, (hex: string) => void>();
  private readonly free: ArrayBuffer[] = [];
  private nextId = 0;

  private get w(): Worker {
    if (!this.worker) {
      const w = new Worker(new URL('./hash-worker.mjs', import.meta.url));
      w.unref();
      w.on('message', (m: { op: string; buf?: ArrayBuffer; id?: number; hex?: string }) => {
        if (m.op === 'ack') {
          const buf = m.buf as ArrayBuffer;
          this.inFlight -= buf.byteLength;
          if (this.free.length < POOL) this.free.push(buf);
          const ready = this.waiters;
          this.waiters = [];
          for (const r of ready) r();
        } else if (m.op === 'digest') {
          this.pending.get(m.id as number)?.(m.hex as string);
          this.pending.delete(m.id as number);
        }
      });
      this.worker = w;
    }
    return this.worker;
  }

  /** A batch buffer of {@link BATCH} bytes, reused when one has come back. */
  take(): Buffer {
    const ab = this.free.pop();
    return ab ? Buffer.from(ab) : Buffer.from(new ArrayBuffer(BATCH));
  }

  /** Returns a buffer from {@link take} that was not sent to the worker. */
  give(batch: Buffer): void {
    if (this.free.length < POOL) this.free.push(batch.buffer as ArrayBuffer);
  }

  /** Sends the first `len` bytes of a batch taken with {@link take}; resolves when the worker has room for more. */
  async send(key: string, batch: Buffer, len: number): Promise<void> {
    const ab = batch.buffer as ArrayBuffer;
    this.inFlight += ab.byteLength;
    this.w.postMessage({ op: 'update', key, buf: ab, len }, [ab]);
    while (this.inFlight > MAX_IN_FLIGHT) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Hex sha256 of everything fed to `key` so far (the state stays usable). */
  digest(key: string): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.w.postMessage({ op: 'digest', key, id });
    });
  }

  /** Forgets the state of `key`. */
  drop(key: string): void {
    this.worker?.postMessage({ op: 'drop', key });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
