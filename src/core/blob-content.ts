/**
 * Blob bytes, content-addressed and shared by every repository, in both
 * metadata modes. Whether a repository may see a blob is the metadata store's
 * business; this module only stores and serves bytes.
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { blobDataPath } from '../storage/layout.js';
import { getContentOrUndefined, statOrUndefined, type StorageDriver } from '../storage/driver.js';
import type { Digest } from '../oci/digest.js';

/** Content-addressed blob storage over a driver. */
export class BlobContent {
  /** Small immutable blobs (manifests) by digest; content-addressed, so never stale. */
  private readonly small = new LRUCache<string, Buffer>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });

  constructor(private readonly driver: StorageDriver) {}

  /** Size of the stored blob, or undefined when absent. */
  async size(digest: Digest): Promise<number | undefined> {
    const cached = this.small.get(digest.value);
    if (cached) return cached.length;
    return (await statOrUndefined(this.driver, blobDataPath(digest)))?.size;
  }

  /** Streams `[start, end)` of a blob. */
  open(digest: Digest, start?: number, end?: number): Promise<Readable> {
    return this.driver.reader(blobDataPath(digest), start, end);
  }

  /** Writes `[start, end)` of a blob into `dest` (not ending it), by the driver's fast path when it has one. */
  async sendTo(digest: Digest, start: number, end: number, dest: Writable): Promise<void> {
    if (this.driver.copyRange) return this.driver.copyRange(blobDataPath(digest), start, end, dest);
    const source = await this.open(digest, start, end);
    await pipeline(source, dest, { end: false });
  }

  /** Whole bytes of a small blob (a manifest), cached; undefined when absent. */
  async read(digest: Digest): Promise<Buffer | undefined> {
    const cached = this.small.get(digest.value);
    if (cached) return cached;
    const data = await getContentOrUndefined(this.driver, blobDataPath(digest));
    if (data && data.length <= 4 * 1024 * 1024) this.small.set(digest.value, data);
    return data;
  }

  /** Stores a small blob whose digest the caller has verified; a no-op when present. */
  async write(digest: Digest, data: Buffer): Promise<void> {
    if ((await this.size(digest)) === undefined) await this.driver.putContent(blobDataPath(digest), data);
    this.small.set(digest.value, data);
  }

  /** Moves a verified upload file into place (atomic on every driver). */
  async adopt(uploadPath: string, digest: Digest): Promise<void> {
    await this.driver.move(uploadPath, blobDataPath(digest));
  }

  /** A direct-download URL from the driver, when it can give one. */
  redirectURL(digest: Digest, method: 'GET' | 'HEAD'): Promise<string | undefined> {
    return this.driver.redirectURL(blobDataPath(digest), method);
  }
}
