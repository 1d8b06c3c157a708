/**
 * Reviews one blob from the GC queue (SPEC 3.3): takes the oldest due row
 * with FOR UPDATE SKIP LOCKED (so many workers on many nodes never review the
 * same blob), takes the digest's advisory lock exclusively (see
 * metadata/database/manifest-writes.ts), re-checks that no manifest uses it
 * as a layer or configuration and no virtual registry cache entry names
 * it, and if none does deletes the storage object first, then the
 * row. One task per transaction; a failed task is postponed with backoff.
 */
import { deleteIfExists, type StorageDriver } from '../storage/driver.js';
import { blobDataPath } from '../storage/layout.js';
import { tryParseDigest } from '../oci/digest.js';
import { lockDigests } from '../metadata/database/manifest-writes.js';
import type { Database } from '../db/queryer.js';
import { postpone, withTimeout, type ReviewOutcome } from './review.js';

/** Reviews the next due blob. */
export async function reviewNextBlob(db: Database, driver: StorageDriver, storageTimeoutMs: number): Promise<ReviewOutcome> {
  let digest: string | undefined;
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<{ digest: string }>('gc_blob_next', 'SELECT digest FROM gc_blob_review_queue WHERE review_after <= now() ORDER BY review_after LIMIT 1 FOR UPDATE SKIP LOCKED');
      digest = rows[0]?.digest;
      if (digest === undefined) return { kind: 'idle' } as const;
      await lockDigests(tx, [digest], 'exclusive');
      // A blob a virtual registry's cache entry names is in use too (cached layers, configs and manifests).
      const used = await tx.query(
        'gc_blob_referenced',
        `SELECT 1 WHERE EXISTS (SELECT 1 FROM layers WHERE digest = $1) OR EXISTS (SELECT 1 FROM manifests WHERE configuration_blob_digest = $1)
         OR EXISTS (SELECT 1 FROM virtual_registries_container_cache_entries WHERE digest = $1)`,
        [digest],
      );
      const dangling = used.length === 0;
      if (dangling) {
        const d = tryParseDigest(digest);
        if (d) await withTimeout(deleteIfExists(driver, blobDataPath(d)), storageTimeoutMs, `deleting ${digest} from storage`);
        await tx.query('gc_blob_delete', 'DELETE FROM blobs WHERE digest = $1', [digest]);
      }
      await tx.query('gc_blob_dequeue', 'DELETE FROM gc_blob_review_queue WHERE digest = $1', [digest]);
      return { kind: 'reviewed', id: digest, deleted: dangling } as const;
    });
  } catch (err) {
    if (digest === undefined) throw err;
    await postpone(db, 'gc_blob_review_queue', 'digest = $1', [digest]);
    return { kind: 'failed', id: digest, error: err as Error };
  }
}
