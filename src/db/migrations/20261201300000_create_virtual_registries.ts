/**
 * Container virtual registries (SPEC 8; seed 004; GitLab's
 * `virtual_registries_container_*` tables): registries per top-level group,
 * upstreams (credentials encrypted), their ordered links, and cache entries
 * (one per upstream and relative path: `<image>/manifests/<ref>` or
 * `<image>/blobs/<digest>`; the bytes are blobs of the local blob store).
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261201300000_create_virtual_registries',
  up: `
CREATE TABLE virtual_registries_container_registries (
  id bigserial PRIMARY KEY,
  group_id bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (group_id, name)
);
CREATE TABLE virtual_registries_container_upstreams (
  id bigserial PRIMARY KEY,
  group_id bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
  url text NOT NULL,
  name text NOT NULL,
  description text,
  cache_validity_hours integer NOT NULL DEFAULT 24 CHECK (cache_validity_hours >= 0),
  username text,
  password_encrypted text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE virtual_registries_container_registry_upstreams (
  id bigserial PRIMARY KEY,
  registry_id bigint NOT NULL REFERENCES virtual_registries_container_registries(id) ON DELETE CASCADE,
  upstream_id bigint NOT NULL REFERENCES virtual_registries_container_upstreams(id) ON DELETE CASCADE,
  position smallint NOT NULL CHECK (position BETWEEN 1 AND 5),
  -- Positions are kept 1..n by the store (moves rewrite them in one transaction), so no unique index on them.
  UNIQUE (registry_id, upstream_id)
);
CREATE TABLE virtual_registries_container_cache_entries (
  id bigserial PRIMARY KEY,
  upstream_id bigint NOT NULL REFERENCES virtual_registries_container_upstreams(id) ON DELETE CASCADE,
  relative_path text NOT NULL,
  digest text NOT NULL,
  size bigint NOT NULL,
  content_type text NOT NULL,
  upstream_etag text,
  upstream_checked_at timestamptz NOT NULL DEFAULT now(),
  downloads_count bigint NOT NULL DEFAULT 0,
  downloaded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (upstream_id, relative_path)
);
`,
  down: `
DROP TABLE virtual_registries_container_cache_entries;
DROP TABLE virtual_registries_container_registry_upstreams;
DROP TABLE virtual_registries_container_upstreams;
DROP TABLE virtual_registries_container_registries;
`,
};
