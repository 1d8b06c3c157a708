/** Every migration, in the order they apply. Add new ones at the end. */
import type { Migration } from './migration.js';
import { migration as createMetadataTables } from './20261122120000_create_metadata_tables.js';

export const MIGRATIONS: readonly Migration[] = [createMetadataTables];
