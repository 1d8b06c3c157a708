/**
 * Geo (SPEC 7). On a primary: the event log the secondaries follow
 * (`geo_events`, a NOTIFY per insert wakes the long polls) and the sites
 * registered by an admin (`geo_sites`, with the last status each secondary
 * reported). On a secondary: one row per repository in
 * `geo_container_repository_registry` (GitLab's `container_repository_registry`
 * fields: state 0 pending / 1 started / 2 synced / 3 failed, retry_count,
 * retry_at, last_sync_failure, last_synced_at, plus verification), and the
 * site's own state (`geo_site_state`: role after a promotion, the primary it
 * follows, its cursor in that primary's event log).
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201200000_create_geo_tables',
  up: `
CREATE TABLE geo_events (
  id bigserial PRIMARY KEY,
  action text NOT NULL CHECK (action IN ('push', 'delete', 'rename')),
  repository text NOT NULL,
  tag text,
  digest text,
  new_path text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION geo_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('wharf_geo_events', '');
  RETURN NULL;
END $$;
CREATE TRIGGER geo_events_notify AFTER INSERT ON geo_events FOR EACH STATEMENT EXECUTE FUNCTION geo_events_notify();

CREATE TABLE geo_sites (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  api_url text NOT NULL,
  registry_url text NOT NULL,
  is_primary boolean NOT NULL DEFAULT false,
  status jsonb,
  status_at timestamptz,
  announced_generation bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE geo_container_repository_registry (
  path text PRIMARY KEY,
  state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2, 3)),
  retry_count integer NOT NULL DEFAULT 0,
  retry_at timestamptz,
  last_sync_failure text,
  last_synced_at timestamptz,
  event_seq bigint NOT NULL DEFAULT 0,
  pending_deletes text[] NOT NULL DEFAULT '{}',
  lease_owner text,
  lease_until timestamptz,
  verification_state smallint NOT NULL DEFAULT 0 CHECK (verification_state IN (0, 1, 2, 3)),
  verification_checksum text,
  verification_failure text,
  verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX geo_container_repository_registry_due_idx ON geo_container_repository_registry (retry_at) WHERE state IN (0, 3);

CREATE TABLE geo_site_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  role text CHECK (role IN ('primary', 'secondary')),
  generation bigint NOT NULL DEFAULT 0,
  primary_name text,
  primary_api_url text,
  primary_registry_url text,
  cursor_event_id bigint NOT NULL DEFAULT 0,
  cursor_event_at timestamptz,
  primary_last_event_id bigint,
  primary_last_event_at timestamptz,
  last_poll_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO geo_site_state DEFAULT VALUES;
`,
  down: `
DROP TABLE geo_site_state;
DROP TABLE geo_container_repository_registry;
DROP TABLE geo_sites;
DROP TABLE geo_events;
DROP FUNCTION geo_events_notify();
`,
};
