/**
 * Online garbage collection (SPEC 3.3), as GitLab's registry does it: review
 * queues for blobs and manifests, filled by triggers when something may have
 * become unreferenced, each entry reviewed after a delay that depends on the
 * event (`gc_review_after_defaults`). A queue insert for an entry already
 * queued postpones it to the later time.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261122130000_create_gc_review_queues',
  up: `
CREATE TABLE gc_review_after_defaults (
  event text PRIMARY KEY,
  value interval NOT NULL
);
INSERT INTO gc_review_after_defaults (event, value) VALUES
  ('blob_upload', interval '1 day'),
  ('manifest_upload', interval '1 day'),
  ('manifest_delete', interval '1 day'),
  ('layer_delete', interval '1 day'),
  ('manifest_list_delete', interval '1 day'),
  ('tag_delete', interval '1 day'),
  ('tag_switch', interval '1 day');

CREATE TABLE gc_blob_review_queue (
  digest text PRIMARY KEY,
  review_after timestamptz NOT NULL,
  review_count integer NOT NULL DEFAULT 0,
  event text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gc_blob_review_queue_review_after_idx ON gc_blob_review_queue (review_after);

CREATE TABLE gc_manifest_review_queue (
  repository_id bigint NOT NULL,
  manifest_id bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
  review_after timestamptz NOT NULL,
  review_count integer NOT NULL DEFAULT 0,
  event text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, manifest_id)
);
CREATE INDEX gc_manifest_review_queue_review_after_idx ON gc_manifest_review_queue (review_after);

CREATE FUNCTION gc_review_after(e text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT now() + COALESCE((SELECT value FROM gc_review_after_defaults WHERE event = e), interval '1 day')
$$;

CREATE FUNCTION gc_queue_blob(d text, e text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO gc_blob_review_queue (digest, review_after, event) VALUES (d, gc_review_after(e), e)
  ON CONFLICT (digest) DO UPDATE SET review_after = GREATEST(gc_blob_review_queue.review_after, EXCLUDED.review_after), event = EXCLUDED.event
$$;

CREATE FUNCTION gc_queue_manifest(r bigint, m bigint, e text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO gc_manifest_review_queue (repository_id, manifest_id, review_after, event)
  SELECT r, m, gc_review_after(e), e WHERE EXISTS (SELECT 1 FROM manifests WHERE id = m)
  ON CONFLICT (repository_id, manifest_id) DO UPDATE SET review_after = GREATEST(gc_manifest_review_queue.review_after, EXCLUDED.review_after), event = EXCLUDED.event
$$;

CREATE FUNCTION gc_track_blob_upload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM gc_queue_blob(NEW.digest, 'blob_upload'); RETURN NULL; END $$;
CREATE TRIGGER gc_track_blob_uploads AFTER INSERT ON blobs FOR EACH ROW EXECUTE FUNCTION gc_track_blob_upload();

CREATE FUNCTION gc_track_manifest_upload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM gc_queue_manifest(NEW.repository_id, NEW.id, 'manifest_upload'); RETURN NULL; END $$;
CREATE TRIGGER gc_track_manifest_uploads AFTER INSERT ON manifests FOR EACH ROW EXECUTE FUNCTION gc_track_manifest_upload();

CREATE FUNCTION gc_track_layer_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM gc_queue_blob(OLD.digest, 'layer_delete'); RETURN NULL; END $$;
CREATE TRIGGER gc_track_layer_deletes AFTER DELETE ON layers FOR EACH ROW EXECUTE FUNCTION gc_track_layer_delete();

-- A deleted manifest: its configuration blob may now be unreferenced (its layers are queued by the layers
-- trigger), and its referrers may be dangling (their subject is gone). Its payload lives in the row.
CREATE FUNCTION gc_track_manifest_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.configuration_blob_digest IS NOT NULL THEN PERFORM gc_queue_blob(OLD.configuration_blob_digest, 'manifest_delete'); END IF;
  PERFORM gc_queue_manifest(m.repository_id, m.id, 'manifest_delete')
  FROM manifests m WHERE m.repository_id = OLD.repository_id AND m.subject_digest = OLD.digest;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_track_manifest_deletes AFTER DELETE ON manifests FOR EACH ROW EXECUTE FUNCTION gc_track_manifest_delete();

CREATE FUNCTION gc_track_manifest_list_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gc_queue_manifest(m.repository_id, m.id, 'manifest_list_delete')
  FROM manifests m WHERE m.repository_id = OLD.repository_id AND m.digest = OLD.child_digest;
  RETURN NULL;
END $$;
CREATE TRIGGER gc_track_manifest_list_deletes AFTER DELETE ON manifest_references FOR EACH ROW EXECUTE FUNCTION gc_track_manifest_list_delete();

CREATE FUNCTION gc_track_tag_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM gc_queue_manifest(OLD.repository_id, OLD.manifest_id, 'tag_delete'); RETURN NULL; END $$;
CREATE TRIGGER gc_track_tag_deletes AFTER DELETE ON tags FOR EACH ROW EXECUTE FUNCTION gc_track_tag_delete();

CREATE FUNCTION gc_track_tag_switch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM gc_queue_manifest(OLD.repository_id, OLD.manifest_id, 'tag_switch'); RETURN NULL; END $$;
CREATE TRIGGER gc_track_tag_switches AFTER UPDATE OF manifest_id ON tags FOR EACH ROW WHEN (OLD.manifest_id IS DISTINCT FROM NEW.manifest_id) EXECUTE FUNCTION gc_track_tag_switch();
`,
  down: `
DROP TRIGGER gc_track_tag_switches ON tags;
DROP TRIGGER gc_track_tag_deletes ON tags;
DROP TRIGGER gc_track_manifest_list_deletes ON manifest_references;
DROP TRIGGER gc_track_manifest_deletes ON manifests;
DROP TRIGGER gc_track_layer_deletes ON layers;
DROP TRIGGER gc_track_manifest_uploads ON manifests;
DROP TRIGGER gc_track_blob_uploads ON blobs;
DROP FUNCTION gc_track_tag_switch();
DROP FUNCTION gc_track_tag_delete();
DROP FUNCTION gc_track_manifest_list_delete();
DROP FUNCTION gc_track_manifest_delete();
DROP FUNCTION gc_track_layer_delete();
DROP FUNCTION gc_track_manifest_upload();
DROP FUNCTION gc_track_blob_upload();
DROP FUNCTION gc_queue_manifest(bigint, bigint, text);
DROP FUNCTION gc_queue_blob(text, text);
DROP FUNCTION gc_review_after(text);
DROP TABLE gc_manifest_review_queue;
DROP TABLE gc_blob_review_queue;
DROP TABLE gc_review_after_defaults;
`,
};
