/**
 * The `gcs` driver's writer. GCS objects cannot be appended to, so bytes
 * gather in one part buffer (`chunksize`) and each full part is stored as a
 * temporary object beside the target (`<name>~part~<writer>~<n>`); `commit`
 * composes the existing object (on an append) and the parts into the target,
 * 32 sources per request as GCS allows, then deletes the parts. Nothing is
 * copied through Wharf, and a write that fits in one part is a single upload.
 * Memory stays at one part buffer per writer.
 *
 * Why not resumable upload sessions (Distribution's choice): a session lives
 * in one writer, so an append from another node or after a restart would need
 * the session URI persisted beside the object; parts plus compose need no
 * state at all, which is what several registry nodes sharing a bucket want.
 */
import { randomUUID } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import type { FileWriter } from '../driver.js';
import { PartBuffer } from '../part-buffer.js';

/** Marks temporary part names; `~` never occurs in a registry path, so they cannot collide. */
export const PART_MARK = '~part~';

/** GCS composes at most this many sources per request. */
const COMPOSE_LIMIT = 32;

/** What the writer needs from the driver. */
export interface WriterContext {
  readonly bucket: Bucket;
  readonly chunkSize: number;
  /** Runs an SDK call, mapping its errors for `path`. */
  readonly wrap: <T>(path: string, fn: () => Promise<T>) => Promise<T>;
  /** Deletes objects by name, ignoring missing ones. */
  readonly deleteNames: (names: string[]) => Promise<void>;
}

/** Opens a writer on object `name`; with `existingSize` > 0, continues that object. */
export function openWriter(ctx: WriterContext, path: string, name: string, existingSize: number): FileWriter {
  const { bucket } = ctx;
  const id = randomUUID();
  const parts: string[] = [];
  const temporary: string[] = [];
  let written = existingSize;
  let done = false;
  const tempName = (suffix: string) => {
    const n = `${name}${PART_MARK}${id}~${suffix}`;
    temporary.push(n);
    return n;
  };
  // The precondition (no such object yet) makes part uploads safe to retry.
  const upload = (target: string, bytes: Buffer, fresh: boolean) => ctx.wrap(path, () => bucket.file(target).save(bytes, { resumable: false, ...(fresh ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}) }));
  const buffer = new PartBuffer(ctx.chunkSize, async (part) => {
    const n = tempName(String(parts.length).padStart(6, '0'));
    await upload(n, part, true);
    parts.push(n);
  });

  /** Composes `sources` (in order) into the target, through intermediate objects when there are more than 32. */
  const composeAll = async (sources: string[]) => {
    let rest = sources;
    let round = 0;
    while (rest.length > COMPOSE_LIMIT) {
      const acc = tempName(`acc${round++}`);
      const batch = rest.slice(0, COMPOSE_LIMIT);
      await ctx.wrap(path, () => bucket.combine(batch, acc));
      rest = [acc, ...rest.slice(COMPOSE_LIMIT)];
    }
    await ctx.wrap(path, () => bucket.combine(rest, name));
  };

  const cleanUp = async () => {
    buffer.release();
    await ctx.deleteNames(temporary).catch(() => undefined);
  };

  return {
    async write(chunk) {
      if (done) throw new Error('writer already committed or cancelled');
      await buffer.push(chunk);
      written += chunk.length;
    },
    size: () => written,
    async commit() {
      if (done) return;
      done = true;
      try {
        if (parts.length === 0 && existingSize === 0) {
          await upload(name, buffer.pending, false);
        } else if (parts.length > 0 || buffer.pending.length > 0) {
          if (buffer.pending.length > 0) await buffer.drain();
          await composeAll(existingSize > 0 ? [name, ...parts] : parts);
        }
      } finally {
        await cleanUp();
      }
    },
    async cancel() {
      if (done) return;
      done = true;
      await cleanUp();
      await ctx.deleteNames([name]).catch(() => undefined);
    },
  };
}
