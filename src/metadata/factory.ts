/**
 * Chooses the metadata store: legacy link files, or the database when
 * `database.enabled` — a PostgreSQL server when `database.host` is set, else
 * the embedded PGlite under the data directory. A server database with
 * pending migrations is refused, as GitLab's registry does: migrations are an
 * operator's step (`wharf database migrate up`), never a side effect of
 * starting. The embedded database is migrated whenever it is opened: only
 * one process uses it at a time.
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
import { legacyRepositories } from './legacy/legacy-reader.js';
import { cachedMetadataStore, type TagCache } from './cache/cached-store.js';
import { connectRedis } from './cache/redis-client.js';
import type { MetadataStore } from './store.js';

/** The store, the database behind it when there is one, its Redis cache when enabled, and what to close on shutdown. */
export interface MetadataBackend {
  readonly store: MetadataStore;
  readonly database?: Database;
  readonly cache?: TagCache;
  close(): Promise<void>;
}

/** True when the `database` section asks for the embedded database (enabled, no host). */
export const isEmbedded = (config: Config): boolean => !config.database.host;

/** Where the embedded database lives: under the storage root, or in memory with the inmemory driver. */
export function embeddedLocation(config: Config): string {
  if (config.storage.s3 || config.storage.s3_v2 || config.storage.azure || config.storage.azure_v2 || config.storage.gcs) {
    // In memory it would vanish at restart, and local disk is not shared by the nodes object storage serves.
    throw new ConfigError(['database.host: with object storage, metadata needs an external PostgreSQL (set database.host), or legacy metadata in the bucket (database.enabled: false)']);
  }
  const root = config.storage.filesystem?.rootdirectory;
  return config.storage.inmemory || !root ? 'memory://' : join(resolve(root), 'wharf', 'database');
}

/** Opens the database of the `database` section (no migration check). */
export async function openDatabase(config: Config, metrics?: Registry): Promise<Database> {
  if (isEmbedded(config)) {
    const where = embeddedLocation(config);
    if (where !== 'memory://') await mkdir(where, { recursive: true });
    const db = await pgliteDatabase(where);
    // The embedded database belongs to one process at a time: whoever opens it brings its schema up to date.
    await migrateUp(db);
    return db;
  }
  return pgDatabase(poolConfig(config.database), metrics);
}

/**
 * Refuses to serve an empty database over storage that holds legacy
 * repositories: they would look deleted. The operator imports them, or keeps
 * legacy mode explicitly.
 */
async function refuseUnimportedLegacyData(db: Database, driver: StorageDriver): Promise<void> {
  const any = await db.query('repositories_any', 'SELECT 1 FROM repositories LIMIT 1');
  if (any.length > 0) return;
  const legacy = await legacyRepositories(driver);
  if (legacy.length === 0) return;
  throw new ConfigError([
    `database: the database is empty but the storage holds ${legacy.length} repositories in legacy (link-file) metadata, e.g. ${legacy[0]}: ` +
      'import them with `wharf database import <config>` (README, "Migrating to the metadata database"), or set database.enabled: false to serve them in legacy mode',
  ]);
}

/** Builds the metadata store the configuration asks for. */
export async function createMetadataBackend(config: Config, driver: StorageDriver, metrics?: Registry): Promise<MetadataBackend> {
  if (!config.database.enabled) {
    if (config.redis.cache.enabled) throw new ConfigError(['redis.cache.enabled: the Redis cache needs the metadata database (database.enabled)']);
    return { store: legacyMetadataStore(driver), close: async () => undefined };
  }
  const database = await openDatabase(config, metrics);
  try {
    const pending = (await migrationStatus(database)).filter((m) => !m.appliedAt);
    if (pending.length > 0) {
      throw new ConfigError([`database: ${pending.length} pending migration(s) (${pending.map((m) => m.id).join(', ')}); run \`wharf database migrate up\``]);
    }
    await refuseUnimportedLegacyData(database, driver);
  } catch (err) {
    await database.close();
    if (err instanceof ConfigError) throw err;
    const where = isEmbedded(config) ? `the embedded database at ${embeddedLocation(config)}` : `${config.database.host}:${config.database.port}/${config.database.dbname}`;
    throw new ConfigError([`database: cannot use ${where}: ${(err as Error).message}`]);
  }
  const v = config.validation;
  const store = databaseMetadataStore(database, { verifyReferences: !(v.disabled || v.enabled === false) });
  if (!config.redis.cache.enabled) return { store, database, close: () => database.close() };
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  try {
    redis = await connectRedis(config.redis.cache);
  } catch (err) {
    await database.close();
    throw new ConfigError([`redis.cache: cannot connect to ${config.redis.cache.addr}: ${(err as Error).message}`]);
  }
  const instance = (await database.query<{ id: string }>('registry_instance', 'SELECT id FROM registry_instance LIMIT 1'))[0]?.id ?? 'default';
  const cached = cachedMetadataStore(store, redis, config.redis.cache.ttl, instance);
  return {
    store: cached.store,
    cache: cached.cache,
    database,
    async close() {
      redis.disconnect();
      await database.close();
    },
  };
}
