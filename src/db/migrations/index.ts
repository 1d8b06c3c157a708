/** Every migration, in the order they apply. Add new ones at the end. */
import type { Migration } from './migration.js';
import { migration as createMetadataTables } from './20261122120000_create_metadata_tables.js';
import { migration as createGcReviewQueues } from './20261122130000_create_gc_review_queues.js';
import { migration as createImportProgress } from './20261122140000_create_import_progress.js';
import { migration as createInstanceIdentity } from './20261122150000_create_instance_identity.js';
import { migration as createControlPlaneTables } from './20261123100000_create_control_plane_tables.js';
import { migration as createNotificationOutbox } from './20261123110000_create_notification_outbox.js';
import { migration as createCleanupPolicies } from './20261123120000_create_cleanup_policies.js';
import { migration as notifyMetadataChanges } from './20261201100000_notify_metadata_changes.js';
import { migration as createGeoTables } from './20261201200000_create_geo_tables.js';
import { migration as createVirtualRegistries } from './20261201300000_create_virtual_registries.js';
import { migration as virtualRegistryFills } from './20261201400000_virtual_registry_fills.js';
import { migration as groupDeployTokens } from './20261201500000_group_deploy_tokens.js';
import { migration as webSessions } from './20261201600000_web_sessions.js';

export const MIGRATIONS: readonly Migration[] = [
  createMetadataTables,
  createGcReviewQueues,
  createImportProgress,
  createInstanceIdentity,
  createControlPlaneTables,
  createNotificationOutbox,
  createCleanupPolicies,
  notifyMetadataChanges,
  createGeoTables,
  createVirtualRegistries,
  virtualRegistryFills,
  groupDeployTokens,
  webSessions,
];
