/**
 * Fills of the virtual registries' pull-through cache in progress, shared by
 * every worker process (SPEC 8.4: concurrent pulls of one missing object
 * make one upstream fetch, whichever process each lands on). The claimer
 * writes the upstream's bytes to `temp_path` and beats `heartbeat_at`; the
 * other processes follow the temporary object until the blob is stored. A
 * claim whose heartbeat stopped (its process died) is taken over. The
 * digest index serves usage sums and the collection of cached blobs.
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
`,
  down: `
DROP INDEX virtual_registries_container_cache_entries_digest;
DROP TABLE virtual_registries_container_fills;
`,
};
