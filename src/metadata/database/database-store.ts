/**
 * The metadata store on PostgreSQL (SPEC 3.1, database mode): the same
 * MetadataStore the legacy link files implement, over the schema of
 * migrations/. Blob bytes stay in storage; manifests are also kept here with
 * their payloads, references and layers (what sizes and online GC need).
 * Paths and tag names have the "C" collation, so listings sort as in legacy mode.
 */
import { tryParseDigest, type Digest } from '../../oci/digest.js';
import type { ManifestRecord, MetadataStore, Page } from '../store.js';
import { ensureRepository, MediaTypes } from './lookups.js';
import { insertManifest, lockDigests, lockReferences } from './manifest-writes.js';
import { transactionWithRetry, type Database } from '../../db/queryer.js';

const toDigests = (rows: Array<{ digest: string }>): Digest[] => rows.map((r) => tryParseDigest(r.digest)).filter((d): d is Digest => d !== undefined);

function page(rows: Array<{ v: string }>, limit: number): Page<string> {
  return { items: rows.slice(0, limit).map((r) => r.v), more: rows.length > limit };
}

/** Options of the database store. */
export interface DatabaseStoreOptions {
  /** Re-check, under the GC locks, that referenced blobs and manifests still exist (off with `validation.disabled`). */
  readonly verifyReferences: boolean;
  /**
   * Told, after commit, of each write that changed what caches may hold (a
   * tag moved or deleted, a manifest or blob link deleted), with the
   * repository and the writing transaction's id — the payload its triggers
   * sent on `wharf_metadata`. The write returns when this resolves.
   */
  readonly afterChange?: ((repository: string, txid: string) => Promise<void>) | undefined;
}

/** Creates the database store over a migrated database. */
export function databaseMetadataStore(db: Database, options: DatabaseStoreOptions = { verifyReferences: true }): MetadataStore {
  const mediaTypes = new MediaTypes();
  const changed = async (name: string, txid: string | undefined) => {
    if (txid !== undefined) await options.afterChange?.(name, txid);
  };

  return {
    mode: 'database',

    async listRepositories(limit, last) {
      const rows = await db.query<{ v: string }>(
        'repositories_list',
        `SELECT r.path AS v FROM repositories r
         WHERE ($1::text IS NULL OR r.path > $1)
           AND EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = r.id)
         ORDER BY r.path LIMIT $2`,
        [last ?? null, limit + 1],
      );
      return page(rows, limit);
    },

    async isBlobLinked(name, digest) {
      const rows = await db.query('blob_linked', 'SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE r.path = $1 AND rb.blob_digest = $2', [name, digest.value]);
      return rows.length > 0;
    },

    async linkBlob(name, digest, size, ensureStored) {
      await transactionWithRetry(db, async (tx) => {
        // Shared with other writers, exclusive with the blob GC worker: storage and rows change together.
        await lockDigests(tx, [digest.value], 'shared');
        await ensureStored();
        const repo = await ensureRepository(tx, name);
        await tx.query('blob_create', 'INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING', [digest.value, size]);
        await tx.query('blob_link', 'INSERT INTO repository_blobs (repository_id, blob_digest) VALUES ($1, $2) ON CONFLICT DO NOTHING', [repo, digest.value]);
      });
    },

    async unlinkBlob(name, digest) {
      const rows = await db.query<{ txid: string }>(
        'blob_unlink',
        'DELETE FROM repository_blobs rb USING repositories r WHERE r.id = rb.repository_id AND r.path = $1 AND rb.blob_digest = $2 RETURNING txid_current()::text AS txid',
        [name, digest.value],
      );
      await changed(name, rows[0]?.txid);
      return rows.length > 0;
    },

    async isManifestLinked(name, digest) {
      const rows = await db.query('manifest_exists', 'SELECT 1 FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.path = $1 AND m.digest = $2', [name, digest.value]);
      return rows.length > 0;
    },

    storesPayloads: true,

    async manifestPayload(name, digest) {
      const rows = await db.query<{ payload: Uint8Array }>('manifest_payload', 'SELECT m.payload FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.path = $1 AND m.digest = $2', [name, digest.value]);
      const p = rows[0]?.payload;
      return p ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : undefined;
    },

    async putManifest(name, record: ManifestRecord, tag?: string) {
      const types = [record.mediaType, ...(record.artifactType ? [record.artifactType] : []), ...record.blobs.map((b) => b.mediaType)];
      await mediaTypes.ensure(db, types);
      const txid = await transactionWithRetry(db, async (tx) => {
        const repo = await ensureRepository(tx, name);
        await lockReferences(tx, repo, record, options.verifyReferences);
        const id = await insertManifest(tx, repo, record, mediaTypes);
        if (tag === undefined) return undefined;
        // A row comes back for an insert (xmax 0) or a move (xmax set), none when the tag already points here.
        const rows = await tx.query<{ moved: boolean; txid: string }>(
          'tag_upsert',
          `INSERT INTO tags (repository_id, name, manifest_id) VALUES ($1, $2, $3)
           ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = EXCLUDED.manifest_id, updated_at = now()
           WHERE tags.manifest_id <> EXCLUDED.manifest_id
           RETURNING (xmax <> 0) AS moved, txid_current()::text AS txid`,
          [repo, tag, id],
        );
        return rows[0]?.moved ? rows[0].txid : undefined;
      });
      // Only a move notifies (a new tag cannot make a cached answer wrong).
      await changed(name, txid);
      return txid !== undefined;
    },

    async deleteManifest(name, digest) {
      // Tags and references go with the row (ON DELETE CASCADE).
      const rows = await db.query<{ txid: string }>(
        'manifest_delete',
        'DELETE FROM manifests m USING repositories r WHERE r.id = m.repository_id AND r.path = $1 AND m.digest = $2 RETURNING txid_current()::text AS txid',
        [name, digest.value],
      );
      await changed(name, rows[0]?.txid);
      return rows.length > 0;
    },

    async resolveTag(name, tag) {
      const rows = await db.query<{ digest: string }>(
        'tag_resolve',
        'SELECT m.digest FROM tags t JOIN repositories r ON r.id = t.repository_id JOIN manifests m ON m.id = t.manifest_id WHERE r.path = $1 AND t.name = $2',
        [name, tag],
      );
      return toDigests(rows)[0];
    },

    async untag(name, tag) {
      const rows = await db.query<{ txid: string }>('tag_delete', 'DELETE FROM tags t USING repositories r WHERE r.id = t.repository_id AND r.path = $1 AND t.name = $2 RETURNING txid_current()::text AS txid', [
        name,
        tag,
      ]);
      await changed(name, rows[0]?.txid);
      return rows.length > 0;
    },

    async listTags(name, limit, last) {
      // One round trip: no row when the repository does not exist. One text row, split here: far
      // cheaper than one row (or a parsed array) per tag on 10,000-tag repositories. Tag names
      // cannot contain a newline.
      const rows = await db.query<{ names: string | null }>(
        'tags_list',
        `SELECT (SELECT string_agg(name, E'\\n' ORDER BY name) FROM (
                   SELECT name FROM tags WHERE repository_id = r.id AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3) t) AS names
         FROM repositories r WHERE r.path = $1`,
        [name, last ?? null, limit + 1],
      );
      if (rows.length === 0) return undefined;
      const names = rows[0]?.names ? rows[0].names.split('\n') : [];
      return { items: names.slice(0, limit), more: names.length > limit };
    },

    async listReferrers(name, subject) {
      const rows = await db.query<{ digest: string }>('referrers_list', 'SELECT m.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.path = $1 AND m.subject_digest = $2', [
        name,
        subject.value,
      ]);
      return toDigests(rows);
    },
  };
}
