/**
 * The control plane's tables (the part GitLab's Rails application keeps):
 * users, namespaces (user and nested group namespaces), projects, memberships
 * with GitLab's access levels, personal access and deploy tokens (stored as
 * SHA-256 digests, never in clear), application settings (one row), the
 * container repositories projects know of (from registry events), tag
 * protection and immutability rules (60 in an access level means admin), and the
 * durable background jobs.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261123100000_create_control_plane_tables',
  up: `
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  username text COLLATE "C" NOT NULL UNIQUE,
  email text,
  name text NOT NULL DEFAULT '',
  password_hash text,
  admin boolean NOT NULL DEFAULT false,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE namespaces (
  id bigserial PRIMARY KEY,
  parent_id bigint REFERENCES namespaces(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('user', 'group')),
  path text COLLATE "C" NOT NULL,
  full_path text COLLATE "C" NOT NULL UNIQUE,
  name text NOT NULL DEFAULT '',
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'internal', 'private')),
  owner_id bigint REFERENCES users(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE projects (
  id bigserial PRIMARY KEY,
  namespace_id bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
  path text COLLATE "C" NOT NULL,
  full_path text COLLATE "C" NOT NULL UNIQUE,
  name text NOT NULL DEFAULT '',
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'internal', 'private')),
  container_registry_enabled boolean NOT NULL DEFAULT true,
  creator_id bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_namespace_id_idx ON projects (namespace_id);
CREATE TABLE members (
  id bigserial PRIMARY KEY,
  source_type text NOT NULL CHECK (source_type IN ('namespace', 'project')),
  source_id bigint NOT NULL,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  access_level integer NOT NULL CHECK (access_level IN (10, 20, 30, 40, 50)),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_type, source_id, user_id)
);
CREATE INDEX members_user_id_idx ON members (user_id);
CREATE TABLE personal_access_tokens (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name text NOT NULL,
  token_digest text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  expires_at date,
  revoked boolean NOT NULL DEFAULT false,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE deploy_tokens (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  username text COLLATE "C" NOT NULL UNIQUE,
  token_digest text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  expires_at timestamptz,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE application_settings (
  id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  container_registry_token_expire_delay integer NOT NULL DEFAULT 5 CHECK (container_registry_token_expire_delay > 0),
  container_registry_enabled boolean NOT NULL DEFAULT true,
  default_projects_container_registry boolean NOT NULL DEFAULT true,
  container_registry_host text,
  container_registry_port integer,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO application_settings DEFAULT VALUES;
CREATE TABLE container_repositories (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text COLLATE "C" NOT NULL,
  path text COLLATE "C" NOT NULL UNIQUE,
  status text CHECK (status IN ('delete_scheduled', 'delete_ongoing', 'delete_failed')),
  delete_attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX container_repositories_project_id_idx ON container_repositories (project_id);
CREATE TABLE container_tag_rules (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  tag_name_pattern text NOT NULL CHECK (length(tag_name_pattern) BETWEEN 1 AND 100),
  minimum_access_level_for_push integer CHECK (minimum_access_level_for_push IN (40, 50, 60)),
  minimum_access_level_for_delete integer CHECK (minimum_access_level_for_delete IN (40, 50, 60)),
  immutable boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX container_tag_rules_project_id_idx ON container_tag_rules (project_id);
-- A user's effective access level: the highest of a direct membership, any
-- ancestor group's membership, and owning the personal namespace (Owner).
CREATE FUNCTION namespace_access_level(ns bigint, uid bigint) RETURNS integer LANGUAGE sql STABLE AS $$
  WITH RECURSIVE chain AS (
    SELECT id, parent_id, owner_id FROM namespaces WHERE id = ns
    UNION ALL SELECT n.id, n.parent_id, n.owner_id FROM namespaces n JOIN chain c ON n.id = c.parent_id
  )
  SELECT greatest(
    coalesce((SELECT max(m.access_level) FROM members m WHERE m.source_type = 'namespace' AND m.user_id = uid AND m.source_id IN (SELECT id FROM chain)), 0),
    CASE WHEN EXISTS (SELECT 1 FROM chain WHERE owner_id = uid) THEN 50 ELSE 0 END)
$$;
CREATE FUNCTION project_access_level(pid bigint, uid bigint) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN uid IS NULL THEN 0 ELSE greatest(
    coalesce((SELECT max(access_level) FROM members WHERE source_type = 'project' AND source_id = pid AND user_id = uid), 0),
    coalesce((SELECT namespace_access_level(namespace_id, uid) FROM projects WHERE id = pid), 0)) END
$$;
CREATE TABLE background_jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 10,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX background_jobs_due_idx ON background_jobs (run_at) WHERE state = 'pending';
`,
  down: `
DROP TABLE background_jobs;
DROP FUNCTION project_access_level(bigint, bigint);
DROP FUNCTION namespace_access_level(bigint, bigint);
DROP TABLE container_tag_rules;
DROP TABLE container_repositories;
DROP TABLE application_settings;
DROP TABLE deploy_tokens;
DROP TABLE personal_access_tokens;
DROP TABLE members;
DROP TABLE projects;
DROP TABLE namespaces;
DROP TABLE users;
`,
};
