/**
 * Change notifications for the nodes' in-process metadata caches: when a tag
 * moves or goes, a manifest or a blob link goes, or a repository is renamed
 * or deleted, `<repository path> <transaction id>` is sent on the
 * `wharf_metadata` channel (delivered at commit to every listening node;
 * identical notifications of one transaction are sent once). The writer
 * knows its transaction id and waits for every node to acknowledge it. Inserts notify nothing: the caches hold
 * only facts that exist (a tag's digest, a link), which an insert cannot
 * make wrong. Triggers, so every writer is covered: the registry, online GC,
 * renames, imports, and anything written later.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201100000_notify_metadata_changes',
  up: `
CREATE FUNCTION wharf_notify_repository_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text;
BEGIN
  SELECT path INTO changed FROM repositories WHERE id = OLD.repository_id;
  -- A cascade from a deleted repository: the repository's own trigger names it.
  IF changed IS NOT NULL THEN
    PERFORM pg_notify('wharf_metadata', changed || ' ' || txid_current());
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION wharf_notify_repository_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('wharf_metadata', OLD.path || ' ' || txid_current());
  RETURN NULL;
END $$;
CREATE TRIGGER tags_notify AFTER UPDATE OR DELETE ON tags FOR EACH ROW EXECUTE FUNCTION wharf_notify_repository_change();
CREATE TRIGGER manifests_notify AFTER DELETE ON manifests FOR EACH ROW EXECUTE FUNCTION wharf_notify_repository_change();
CREATE TRIGGER repository_blobs_notify AFTER DELETE ON repository_blobs FOR EACH ROW EXECUTE FUNCTION wharf_notify_repository_change();
CREATE TRIGGER repositories_notify AFTER UPDATE OF path OR DELETE ON repositories FOR EACH ROW EXECUTE FUNCTION wharf_notify_repository_row();
`,
  down: `
DROP TRIGGER repositories_notify ON repositories;
DROP TRIGGER repository_blobs_notify ON repository_blobs;
DROP TRIGGER manifests_notify ON manifests;
DROP TRIGGER tags_notify ON tags;
DROP FUNCTION wharf_notify_repository_row();
DROP FUNCTION wharf_notify_repository_change();
`,
};
