/**
 * Reviews one manifest from the GC queue: takes the oldest due row with
 * FOR UPDATE SKIP LOCKED, locks the manifest row FOR UPDATE (a push holding
 * it FOR SHARE finishes first), then re-checks: a manifest is dangling when no
 * tag points at it, no index in its repository lists it, and its subject (if
 * it has one) is gone. Deleting the row cascades to its layers and
 * references, whose triggers queue the blobs and child manifests it held.
 */
import type { Database } from '../db/queryer.js';
import { postpone, type ReviewOutcome } from './review.js';

/** Reviews the next due manifest. */
export async function reviewNextManifest(db: Database): Promise<ReviewOutcome> {
  let key: [string, string] | undefined;
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<{ r: string; m: string }>(
        'gc_manifest_next',
        'SELECT repository_id AS r, manifest_id AS m FROM gc_manifest_review_queue WHERE review_after <= now() ORDER BY review_after LIMIT 1 FOR UPDATE SKIP LOCKED',
      );
      const row = rows[0];
      if (!row) return { kind: 'idle' } as const;
      key = [row.r, row.m];
      const manifest = await tx.query<{ digest: string; subject: string | null }>('gc_manifest_lock', 'SELECT digest, subject_digest AS subject FROM manifests WHERE id = $1 FOR UPDATE', [row.m]);
      const m = manifest[0];
      let deleted = false;
      if (m) {
        const kept = await tx.query(
          'gc_manifest_referenced',
          `SELECT 1 WHERE EXISTS (SELECT 1 FROM tags WHERE manifest_id = $1)
              OR EXISTS (SELECT 1 FROM manifest_references WHERE repository_id = $2 AND child_digest = $3)
              OR ($4::text IS NOT NULL AND EXISTS (SELECT 1 FROM manifests WHERE repository_id = $2 AND digest = $4))`,
          [row.m, row.r, m.digest, m.subject],
        );
        if (kept.length === 0) {
          await tx.query('gc_manifest_delete', 'DELETE FROM manifests WHERE id = $1', [row.m]);
          deleted = true;
        }
      }
      await tx.query('gc_manifest_dequeue', 'DELETE FROM gc_manifest_review_queue WHERE repository_id = $1 AND manifest_id = $2', [row.r, row.m]);
      return { kind: 'reviewed', id: m?.digest ?? row.m, deleted } as const;
    });
  } catch (err) {
    if (!key) throw err;
    await postpone(db, 'gc_manifest_review_queue', 'repository_id = $1 AND manifest_id = $2', key);
    return { kind: 'failed', id: key[1], error: err as Error };
  }
}
