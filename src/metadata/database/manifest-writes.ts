/**
 * The write side of a manifest push in database mode, and the locking that
 * keeps it safe against online garbage collection (SPEC 3.3):
 *
 * - blobs: every writer takes a shared advisory lock per referenced digest;
 *   the blob GC worker takes it exclusively before it re-checks references
 *   and deletes. Under the lock, the push re-checks that each blob is still
 *   linked: if GC won the race, the push fails with MANIFEST_BLOB_UNKNOWN
 *   instead of referencing a deleted blob.
 * - manifests: the push locks the rows of child manifests and of its own
 *   manifest (FOR SHARE); the manifest GC worker locks the row FOR UPDATE
 *   before re-checking tags and references, so it sees what the push
 *   committed.
 *
 * Pushes and the two agents can still meet in a lock cycle; PostgreSQL then
 * aborts one side, and the push side runs again (transactionWithRetry).
 */
import { regErr } from '../../oci/errors.js';
import type { ManifestRecord } from '../store.js';
import type { MediaTypes } from './lookups.js';
import type { Queryer } from '../../db/queryer.js';

/** Takes transaction-scoped advisory locks on digests, in a fixed order (no deadlocks). */
export async function lockDigests(tx: Queryer, digests: readonly string[], mode: 'shared' | 'exclusive'): Promise<void> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  for (const d of [...new Set(digests)].sort()) await tx.query(`gc_lock_${mode}`, `SELECT ${fn}(hashtextextended($1, 0))`, [d]);
}

/** Locks what the manifest references and, when `verify`, fails if any of it is gone. */
export async function lockReferences(tx: Queryer, repo: number, record: ManifestRecord, verify: boolean): Promise<void> {
  const blobs = [...new Set(record.blobs.map((b) => b.digest.value))];
  await lockDigests(tx, blobs, 'shared');
  const children = [...new Set(record.manifests.map((d) => d.value))];
  const present = children.length ? await tx.query<{ digest: string }>('manifest_children_lock', 'SELECT digest FROM manifests WHERE repository_id = $1 AND digest = ANY($2) FOR SHARE', [repo, children]) : [];
  if (!verify) return;
  const linked = blobs.length ? await tx.query<{ d: string }>('blob_links_check', 'SELECT blob_digest AS d FROM repository_blobs WHERE repository_id = $1 AND blob_digest = ANY($2)', [repo, blobs]) : [];
  const have = new Set([...linked.map((r) => r.d), ...present.map((r) => r.digest)]);
  const missing = [...blobs, ...children].filter((d) => !have.has(d));
  if (missing.length > 0) throw regErr('MANIFEST_BLOB_UNKNOWN', undefined, { missing: missing.sort() });
}

/** Inserts the manifest (or finds it, locked) with its references and layers; returns its id. */
export async function insertManifest(tx: Queryer, repo: number, record: ManifestRecord, mediaTypes: MediaTypes): Promise<string> {
  const mt = await mediaTypes.id(tx, record.mediaType);
  const at = record.artifactType ? await mediaTypes.id(tx, record.artifactType) : null;
  const config = record.config ? record.blobs.find((b) => b.digest.value === record.config?.value) : undefined;
  const configType = config ? await mediaTypes.id(tx, config.mediaType) : null;
  const total = record.size + record.blobs.reduce((n, b) => n + b.size, 0);
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await tx.query<{ id: string }>(
      'manifest_create',
      `INSERT INTO manifests (repository_id, digest, media_type_id, artifact_type_id, total_size, payload, subject_digest, annotations, configuration_blob_digest, configuration_media_type_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id`,
      [repo, record.digest.value, mt, at, total, record.payload, record.subject?.value ?? null, record.annotations ? JSON.stringify(record.annotations) : null, config?.digest.value ?? null, configType],
    );
    const id = inserted[0]?.id;
    if (id !== undefined) {
      for (const child of new Set(record.manifests.map((d) => d.value))) {
        await tx.query('manifest_reference_create', 'INSERT INTO manifest_references (repository_id, parent_id, child_digest) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [repo, id, child]);
      }
      for (const b of record.blobs) {
        if (b === config) continue; // kept on the manifest row, as GitLab does
        await tx.query('layer_create', 'INSERT INTO layers (repository_id, manifest_id, digest, size, media_type_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
          repo,
          id,
          b.digest.value,
          b.size,
          await mediaTypes.id(tx, b.mediaType),
        ]);
      }
      return id;
    }
    // Already there: lock it so the manifest GC worker waits for this push (and then sees its tag).
    const existing = await tx.query<{ id: string }>('manifest_lock', 'SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2 FOR SHARE', [repo, record.digest.value]);
    if (existing[0]) return existing[0].id;
    // Deleted by GC between the insert and the lock: insert it again.
  }
  throw new Error(`manifest ${record.digest.value} kept disappearing while being pushed`);
}
