/**
 * Cleanup policies (GitLab's `container_expiration_policies`): one per
 * project, with its schedule; repositories record the state of their last
 * cleanup (`cleanup_unfinished` when a run hit its budget and must resume).
 * The settings row gets GitLab's per-run budget: how many tags one run may
 * delete, and how long it may take.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261123120000_create_cleanup_policies',
  up: `
CREATE TABLE container_expiration_policies (
  project_id bigint PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  enabled boolean NOT NULL DEFAULT false,
  cadence text NOT NULL DEFAULT '1d' CHECK (cadence IN ('1d', '7d', '14d', '1month', '3month')),
  keep_n integer DEFAULT 10 CHECK (keep_n IN (1, 5, 10, 25, 50, 100)),
  older_than text DEFAULT '90d' CHECK (older_than IN ('7d', '14d', '30d', '90d')),
  name_regex text DEFAULT '.*',
  name_regex_keep text,
  next_run_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX container_expiration_policies_due_idx ON container_expiration_policies (next_run_at) WHERE enabled;
ALTER TABLE container_repositories
  ADD COLUMN expiration_policy_cleanup_status text CHECK (expiration_policy_cleanup_status IN ('cleanup_scheduled', 'cleanup_unfinished', 'cleanup_ongoing')),
  ADD COLUMN expiration_policy_started_at timestamptz,
  ADD COLUMN expiration_policy_completed_at timestamptz;
ALTER TABLE application_settings
  ADD COLUMN container_registry_cleanup_tags_service_max_list_size integer NOT NULL DEFAULT 200 CHECK (container_registry_cleanup_tags_service_max_list_size > 0),
  ADD COLUMN container_registry_delete_tags_service_timeout integer NOT NULL DEFAULT 250 CHECK (container_registry_delete_tags_service_timeout > 0);
`,
  down: `
ALTER TABLE application_settings DROP COLUMN container_registry_delete_tags_service_timeout, DROP COLUMN container_registry_cleanup_tags_service_max_list_size;
ALTER TABLE container_repositories DROP COLUMN expiration_policy_completed_at, DROP COLUMN expiration_policy_started_at, DROP COLUMN expiration_policy_cleanup_status;
DROP TABLE container_expiration_policies;
`,
};
