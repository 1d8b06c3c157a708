/**
 * Following a fill that another worker process runs (SPEC 8.4): the claimer
 * writes the upstream's bytes to the claim's temporary object; this process
 * reads it as it grows (drivers that can read while writing) and, once the
 * blob is stored, reads the rest from the blob. A claim that disappears with
 * no blob stored means the fill failed, and the client's answer is cut short
 * (it retries, and a retry starts a new fill).
 */
import type { Writable } from 'node:stream';
import type { BlobContent } from '../core/blob-content.js';
import type { Database } from '../db/queryer.js';
import { parseDigest } from '../oci/digest.js';
import { PathNotFoundError, type StorageDriver } from '../storage/driver.js';
import { copySpan, type Fill } from './blob-fill.js';
import { fillClaim } from './fill-claims.js';

/** How often a follower looks at the temporary object when it has read everything there. */
const POLL_MS = 20;
/** How often it asks the database whether the claim still stands, when nothing new arrived. */
const CLAIM_CHECK_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RemoteFill implements Fill {
  readonly done: Promise<number>;
  private failure: unknown;

  constructor(
    private readonly db: Database,
    private readonly driver: StorageDriver,
    private readonly content: BlobContent,
    private readonly key: string,
    private readonly temp: string,
    readonly digest: string,
    readonly expected: number,
  ) {
    this.done = this.stored();
    this.done.catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** The stored size once the blob exists; rejects when the claim ends without one. */
  private async stored(): Promise<number> {
    for (let quiet = 0; ; quiet += POLL_MS * 5) {
      const size = await this.content.size(parseDigest(this.digest));
      if (size !== undefined) return size;
      if (quiet >= CLAIM_CHECK_MS) {
        quiet = 0;
        if ((await fillClaim(this.db, this.key))?.temp_path !== this.temp && (await this.content.size(parseDigest(this.digest))) === undefined) {
          throw new Error(`the fill of ${this.digest} in another process ended without storing it`);
        }
      }
      await sleep(POLL_MS * 5);
    }
  }

  async sendTo(dest: Writable): Promise<void> {
    const digest = parseDigest(this.digest);
    let pos = 0;
    for (;;) {
      const size = await this.content.size(digest);
      if (size !== undefined) {
        if (pos < size) await this.content.sendTo(digest, pos, size, dest);
        return;
      }
      if (this.driver.readableWhileWriting) {
        try {
          const now = (await this.driver.stat(this.temp)).size;
          if (now > pos) {
            await copySpan(this.driver, this.temp, pos, now, dest);
            pos = now;
            continue;
          }
        } catch (err) {
          // Adopted or removed since the check: the next turn finds the blob or the failure.
          if (!(err instanceof PathNotFoundError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      if (this.failure !== undefined) throw this.failure;
      await sleep(POLL_MS);
    }
  }
}
