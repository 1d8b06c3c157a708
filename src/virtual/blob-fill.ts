/**
 * One upstream blob being stored (SPEC 8.4): the upstream body is written to
 * a temporary object at the upstream's speed, hashed, verified and only then
 * adopted as the blob, so a partial fill is never visible. Any number of
 * clients follow it, each at its own pace: they read what is already
 * written from the temporary object (drivers that can read while writing,
 * the filesystem) and wait for more, so a slow client never makes the fill
 * buffer in memory and a client that leaves never stops it. On drivers that
 * cannot read an object before it is committed (object stores), followers
 * get the blob once it is complete.
 */
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { BlobContent } from '../core/blob-content.js';
import { parseDigest } from '../oci/digest.js';
import { PathNotFoundError, type StorageDriver } from '../storage/driver.js';

/** A fill as its clients see it, whichever process runs it. */
export interface Fill {
  readonly digest: string;
  /** The size the upstream announced, -1 when it did not. */
  readonly expected: number;
  /** Resolves with the stored size; rejects when the fill failed. */
  readonly done: Promise<number>;
  /** Writes the whole blob into `dest` (not ending it), following the fill; rejects when the fill fails or `dest` closes. */
  sendTo(dest: Writable): Promise<void>;
}

/** Copies `[start, end)` of the object at `path` into `dest` (not ending it), by the driver's fast path when it has one. */
export async function copySpan(driver: StorageDriver, path: string, start: number, end: number, dest: Writable): Promise<void> {
  if (driver.copyRange) return driver.copyRange(path, start, end, dest);
  await pipeline(await driver.reader(path, start, end), dest, { end: false });
}

/** Bytes gathered from the upstream before one write. */
const WRITE_RUN = 1024 * 1024;

export class BlobFill implements Fill {
  private written = 0;
  private state: 'running' | 'done' | 'failed' = 'running';
  private error: unknown;
  private wake: Array<() => void> = [];
  /** Resolves with the blob's size once it is stored and verified; rejects when the fill failed. */
  readonly done: Promise<number>;

  /**
   * Starts storing `body` (`expected` bytes from the upstream's Content-Length, -1 when unknown);
   * `stored(size)` records the cache entry before the fill counts as done.
   */
  constructor(
    private readonly driver: StorageDriver,
    private readonly content: BlobContent,
    private readonly temp: string,
    readonly digest: string,
    readonly expected: number,
    body: ReadableStream<Uint8Array>,
    stored: (size: number) => Promise<void>,
  ) {
    this.done = this.run(body, stored);
    // Followers see the failure; nobody else has to.
    this.done.catch(() => undefined);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }

  private async run(body: ReadableStream<Uint8Array>, stored: (size: number) => Promise<void>): Promise<number> {
    const writer = await this.driver.writer(this.temp, false);
    const hash = createHash('sha256');
    try {
      // The upstream's chunks (tens of KiB) are written in runs of WRITE_RUN: fewer writes, and followers wake
      // once per run rather than once per chunk. At most one run is held in memory.
      let run: Buffer[] = [];
      let runBytes = 0;
      const flush = async () => {
        if (runBytes === 0) return;
        await writer.write(run.length === 1 ? (run[0] as Buffer) : Buffer.concat(run, runBytes));
        this.written += runBytes;
        run = [];
        runBytes = 0;
        this.notify();
      };
      for await (const chunk of Readable.fromWeb(body)) {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        run.push(bytes);
        runBytes += bytes.length;
        if (runBytes >= WRITE_RUN) await flush();
      }
      await flush();
      await writer.commit();
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== this.digest) throw new Error(`the upstream sent bytes hashing to ${actual}, not ${this.digest}`);
      if (this.expected >= 0 && this.written !== this.expected) throw new Error(`the upstream sent ${this.written} bytes of ${this.expected}`);
      await this.content.adopt(this.temp, parseDigest(this.digest));
      await stored(this.written);
      this.state = 'done';
      return this.written;
    } catch (err) {
      await writer.cancel().catch(() => undefined);
      await this.driver.delete(this.temp).catch(() => undefined);
      this.state = 'failed';
      this.error = err;
      throw err;
    } finally {
      this.notify();
    }
  }

  private waitForMore(): Promise<void> {
    return new Promise((resolve) => this.wake.push(resolve));
  }

  /** The whole blob for one client, from the first byte, as fast as it reads and the fill writes. */
  async sendTo(dest: Writable): Promise<void> {
    let pos = 0;
    for (;;) {
      if (this.state === 'failed') throw this.error;
      if (this.state === 'done') {
        if (pos < this.written) await this.content.sendTo(parseDigest(this.digest), pos, this.written, dest);
        return;
      }
      if (pos < this.written && this.driver.readableWhileWriting) {
        const end = this.written;
        try {
          await copySpan(this.driver, this.temp, pos, end, dest);
          pos = end;
        } catch (err) {
          // Adopted (or removed) under this read: the next turn reads the blob or reports the failure.
          if (!(err instanceof PathNotFoundError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          await this.done.catch(() => undefined);
        }
        continue;
      }
      await this.waitForMore();
    }
  }
}
