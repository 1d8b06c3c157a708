/**
 * Fills of the virtual registries' pull-through cache in progress, shared by
 * every worker process (SPEC 8.4: concurrent pulls of one missing object
 * make one upstream fetch, whichever process each lands on). The claimer
 * writes the upstream's bytes to `temp_path` and beats `heartbeat_at`; the
 * other processes follow the temporary object until the blob is stored. A
 * claim whose heartbeat stopped (its process died) is taken over.
 *
 * Cached blobs join online GC: a cache entry deleted (through the API, or
 * with its upstream, registry or group) or pointed at another digest (a tag
 * that moved upstream) queues its old digest for review, and the blob
 * review (gc/blob-review.ts) keeps any digest a cache entry still names.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201400000_virtual_registry_fills',
  up: `
CREATE UNLOGGED TABLE virtual_registries_container_fills (
  key text PRIMARY KEY,
  temp_path text NOT NULL,
  expected bigint,
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX virtual_registries_container_cache_entries_digest ON virtual_registries_container_cache_entries (digest);
INSERT INTO gc_review_after_defaults (event, value)
  SELECT 'virtual_cache_entry_delete', COALESCE((SELECT value FROM gc_review_after_defaults WHERE event = 'blob_upload'), interval '1 day');
CREATE FUNCTION gc_track_virtual_cache_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.digest IS DISTINCT FROM NEW.digest THEN PERFORM gc_queue_blob(OLD.digest, 'virtual_cache_entry_delete'); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_track_virtual_cache_entries AFTER DELETE OR UPDATE OF digest ON virtual_registries_container_cache_entries
  FOR EACH ROW EXECUTE FUNCTION gc_track_virtual_cache_entry();
`,
  down: `
DROP TRIGGER gc_track_virtual_cache_entries ON virtual_registries_container_cache_entries;
DROP FUNCTION gc_track_virtual_cache_entry();
DELETE FROM gc_review_after_defaults WHERE event = 'virtual_cache_entry_delete';
DROP INDEX virtual_registries_container_cache_entries_digest;
DROP TABLE virtual_registries_container_fills;
`,
};
