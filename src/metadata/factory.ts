/**
 * Chooses the metadata store: legacy link files, or the database when
 * `database.enabled`. A database with pending migrations is refused, as
 * GitLab's registry does: migrations are an operator's step
 * (`wharf database migrate up`), never a side effect of starting.
 */
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StorageDriver } from '../storage/driver.js';
import { databaseMetadataStore } from './database/database-store.js';
import { migrationStatus } from './database/migrator.js';
import { pgDatabase, poolConfig } from './database/pg-database.js';
import type { Database } from './database/queryer.js';
import { legacyMetadataStore } from './legacy/legacy-store.js';
import type { MetadataStore } from './store.js';

/** The store, and the database behind it when there is one (to close on shutdown). */
export interface MetadataBackend {
  readonly store: MetadataStore;
  readonly database?: Database;
}

/** Opens the database of the `database` section (no migration check). */
export function openDatabase(config: Config, metrics?: Registry): Database {
  if (!config.database.host) {
    throw new ConfigError(['database.host: required when database.enabled is true (the embedded database is not built yet)']);
  }
  return pgDatabase(poolConfig(config.database), metrics);
}

/** Builds the metadata store the configuration asks for. */
export async function createMetadataBackend(config: Config, driver: StorageDriver, metrics?: Registry): Promise<MetadataBackend> {
  if (!config.database.enabled) return { store: legacyMetadataStore(driver) };
  const database = openDatabase(config, metrics);
  try {
    const pending = (await migrationStatus(database)).filter((m) => !m.appliedAt);
    if (pending.length > 0) {
      throw new ConfigError([`database: ${pending.length} pending migration(s) (${pending.map((m) => m.id).join(', ')}); run \`wharf database migrate up\``]);
    }
  } catch (err) {
    await database.close();
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`database: cannot connect to ${config.database.host}:${config.database.port}/${config.database.dbname}: ${(err as Error).message}`]);
  }
  return { store: databaseMetadataStore(database), database };
}
