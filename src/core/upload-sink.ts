/**
 * Moves one request body into an upload file and the running hash. Bytes are
 * copied into pooled 1 MiB batches; each full batch is written to storage in
 * one call and then handed to the hashing worker, while the next batch fills
 * from the socket. Large writes instead of one per 64 KiB socket read, and no
 * buffer allocation per MiB, are what make a push fast; at most a few batches
 * per upload are in memory, whatever the blob size.
 */
import type { Readable } from 'node:stream';
import type { FileWriter } from '../storage/driver.js';
import { regErr } from '../oci/errors.js';
import type { Hasher } from './hasher.js';

/** Streams `body` into `writer`; feeds the hash under `hashKey` when given. Returns the byte count. */
export async function sinkBody(body: Readable, writer: FileWriter, hasher: Hasher, hashKey: string | undefined, limit: number | undefined): Promise<number> {
  let batch = hasher.take();
  let used = 0;
  let count = 0;
  let pending: Promise<void> = Promise.resolve();

  const dispatch = async (full: Buffer, len: number): Promise<void> => {
    await writer.write(full.subarray(0, len));
    if (hashKey === undefined) hasher.give(full);
    else await hasher.send(hashKey, full, len);
  };
  const flush = async (): Promise<void> => {
    // One batch in flight: it is written (and hashed) while the next one fills.
    await pending;
    const full = batch;
    const len = used;
    batch = hasher.take();
    used = 0;
    pending = dispatch(full, len);
  };

  try {
    // A failure here (the disk full, a body too long) leaves the request readable: the HTTP layer
    // answers it in words and then reads or closes the rest, rather than resetting the connection.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      count += chunk.length;
      if (limit !== undefined && count > limit) throw regErr('SIZE_INVALID', 'body is longer than declared', { declared: limit });
      for (let off = 0; off < chunk.length; ) {
        const n = Math.min(chunk.length - off, batch.length - used);
        chunk.copy(batch, used, off, off + n);
        used += n;
        off += n;
        if (used === batch.length) await flush();
      }
    }
    if (used > 0) await flush();
    await pending;
  } catch (err) {
    await pending.catch(() => undefined);
    throw err;
  } finally {
    hasher.give(batch);
  }
  return count;
}
