/**
 * Sends a byte range of a file into a writable (an HTTP response) with two
 * recycled buffers: one is read from disk while the other is being written to
 * the socket. Piping a read stream allocates a fresh buffer per chunk instead,
 * and on a fast loopback that allocation (page faults, GC) is what limits a
 * pull. Memory per transfer: 2 × BUFFER, taken from a small pool of idle
 * buffers.
 */
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const BUFFER = 1024 * 1024;
/** Idle full-size buffers kept for the next transfers (at most this many MiB held while idle). */
const POOL_MAX = 16;
const pool: Buffer[] = [];

/**
 * A buffer for a span of `span` bytes: full-size ones come from the pool, so
 * that many short transfers in a row (clients following a fill, one span at
 * a time) do not each allocate 2 MiB outside the V8 heap, which the garbage
 * collector reclaims late.
 */
function take(span: number): Buffer {
  if (span < BUFFER) return Buffer.allocUnsafeSlow(Math.max(span, 1));
  return pool.pop() ?? Buffer.allocUnsafeSlow(BUFFER);
}

function give(buf: Buffer): void {
  if (buf.length === BUFFER && pool.length < POOL_MAX) pool.push(buf);
}

function writeChunk(dest: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('destination closed before the transfer finished'));
    dest.once('close', onClose);
    dest.write(chunk, (err) => {
      dest.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Copies `[start, end)` of `file` into `dest`; does not end `dest`. */
export async function copyFileRange(file: string, start: number, end: number, dest: Writable): Promise<void> {
  const fh = await open(file, 'r');
  const bufs = [take(end - start), take(end - start)];
  let settled = false;
  try {
    let pos = start;
    let turn = 0;
    let pending: Promise<void> = Promise.resolve();
    while (pos < end) {
      const buf = bufs[turn++ & 1] as Buffer;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`unexpected end of ${file} at ${pos}`);
      // The previous write must finish before this buffer's twin is reused.
      await pending;
      if (dest.destroyed) throw new Error('destination closed before the transfer finished');
      pos += bytesRead;
      pending = writeChunk(dest, buf.subarray(0, bytesRead));
    }
    await pending;
    settled = true;
  } finally {
    await fh.close();
    // A buffer may go back only when no write still holds it (after a failure, one might).
    if (settled) bufs.forEach(give);
  }
}
