/**
 * Chooses the metadata store: legacy link files, or the database when
 * `database.enabled` — a PostgreSQL server when `database.host` is set, else
 * the embedded PGlite under the data directory. A server database with
 * pending migrations is refused, as GitLab's registry does: migrations are an
 * operator's step (`wharf database migrate up`), never a side effect of
 * starting. The embedded database is migrated on start: only this process
 * uses it.
 */
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StorageDriver } from '../storage/driver.js';
import { databaseMetadataStore } from './database/database-store.js';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { migrateUp, migrationStatus } from './database/migrator.js';
import { pgliteDatabase } from './database/pglite-database.js';
import { pgDatabase, poolConfig } from './database/pg-database.js';
import type { Database } from './database/queryer.js';
import { legacyMetadataStore } from './legacy/legacy-store.js';
import type { MetadataStore } from './store.js';

/** The store, and the database behind it when there is one (to close on shutdown). */
export interface MetadataBackend {
  readonly store: MetadataStore;
  readonly database?: Database;
}

/** True when the `database` section asks for the embedded database (enabled, no host). */
export const isEmbedded = (config: Config): boolean => !config.database.host;

/** Where the embedded database lives: under the storage root, or in memory with the inmemory driver. */
export function embeddedLocation(config: Config): string {
  const root = config.storage.filesystem?.rootdirectory;
  return config.storage.inmemory || !root ? 'memory://' : join(resolve(root), 'wharf', 'database');
}

/** Opens the database of the `database` section (no migration check). */
export async function openDatabase(config: Config, metrics?: Registry): Promise<Database> {
  if (isEmbedded(config)) {
    const where = embeddedLocation(config);
    if (where !== 'memory://') await mkdir(where, { recursive: true });
    return pgliteDatabase(where);
  }
  return pgDatabase(poolConfig(config.database), metrics);
}

/** Builds the metadata store the configuration asks for. */
export async function createMetadataBackend(config: Config, driver: StorageDriver, metrics?: Registry): Promise<MetadataBackend> {
  if (!config.database.enabled) return { store: legacyMetadataStore(driver) };
  const database = await openDatabase(config, metrics);
  // The embedded database belongs to this process alone: bring its schema up to date here.
  if (isEmbedded(config)) await migrateUp(database);
  try {
    const pending = (await migrationStatus(database)).filter((m) => !m.appliedAt);
    if (pending.length > 0) {
      throw new ConfigError([`database: ${pending.length} pending migration(s) (${pending.map((m) => m.id).join(', ')}); run \`wharf database migrate up\``]);
    }
  } catch (err) {
    await database.close();
    if (err instanceof ConfigError) throw err;
    const where = isEmbedded(config) ? `the embedded database at ${embeddedLocation(config)}` : `${config.database.host}:${config.database.port}/${config.database.dbname}`;
    throw new ConfigError([`database: cannot use ${where}: ${(err as Error).message}`]);
  }
  const v = config.validation;
  return { store: databaseMetadataStore(database, { verifyReferences: !(v.disabled || v.enabled === false) }), database };
}
