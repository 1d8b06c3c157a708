/**
 * A random identity for this metadata database. Shared caches (Redis) prefix
 * their keys with it, so a cache left over from another database (a restore,
 * a re-created test database) can never answer for this one.
 */
import type { Migration } from './migration.js';

export const migration: Migration = {
  id: '20261122150000_create_instance_identity',
  up: `
CREATE TABLE registry_instance (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO registry_instance DEFAULT VALUES;
`,
  down: `
DROP TABLE registry_instance;
`,
};
