/**
 * Chooses the metadata store: legacy link files, or the database when
 * `database.enabled` — an external PostgreSQL server when `database.host` is
 * set, else the embedded PostgreSQL server under the data directory
 * (`db/open.ts`). An external database with pending migrations is refused,
 * as GitLab's registry does: migrations are an operator's step (`wharf
 * database migrate up`), never a side effect of starting. The embedded
 * database is migrated whenever it is opened: it belongs to this install.
 */
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StorageDriver } from '../storage/driver.js';
import { databaseMetadataStore } from './database/database-store.js';
import { migrationStatus } from '../db/migrator.js';
import { describeDatabase, openDatabase } from '../db/open.js';
import { DatabaseUnavailableError, describeUnavailable, isUnavailable } from '../db/faults.js';
import type { Database } from '../db/queryer.js';
import { legacyMetadataStore } from './legacy/legacy-store.js';
import { legacyRepositories } from './legacy/legacy-reader.js';
import { cachedMetadataStore, type TagCache } from './cache/cached-store.js';
import { connectRedis } from './cache/redis-client.js';
import { startLocalCache } from './cache/local-store.js';
import type { MetadataStore } from './store.js';
import type { GitlabMetadata } from './gitlab.js';
import { databaseGitlabMetadata } from './database/gitlab-store.js';

/** Where the backend says what an operator should know. */
export interface MetadataLog {
  warn(msg: string): void;
  error(msg: string): void;
  info(msg: string): void;
}

/** The store, the database behind it when there is one, its Redis cache when enabled, and what to close on shutdown. */
export interface MetadataBackend {
  readonly store: MetadataStore;
  readonly database?: Database;
  readonly cache?: TagCache;
  /** The `/gitlab/v1` reads and rename, in database mode. */
  readonly gitlab?: GitlabMetadata;
  close(): Promise<void>;
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

/**
 * A database that cannot be used at start: unreachable is a fault (the
 * process fails and is restarted, the database may come back), anything
 * else (a refused login, pending migrations) is configuration (a restart
 * cannot help: the process ends, saying what to do).
 */
function startupError(config: Config, err: Error): Error {
  if (err instanceof ConfigError) return err;
  if (isUnavailable(err)) return new DatabaseUnavailableError(`cannot reach ${describeDatabase(config)}: ${describeUnavailable(err)}`, true, err);
  return new ConfigError([`database: cannot use ${describeDatabase(config)}: ${err.message}`]);
}

/** Builds the metadata store the configuration asks for. */
export async function createMetadataBackend(config: Config, driver: StorageDriver, metrics?: Registry, log?: MetadataLog): Promise<MetadataBackend> {
  if (!config.database.enabled) {
    if (config.redis.cache.enabled) throw new ConfigError(['redis.cache.enabled: the Redis cache needs the metadata database (database.enabled)']);
    return { store: legacyMetadataStore(driver), close: async () => undefined };
  }
  const healthLog = log ? (level: 'error' | 'info', msg: string) => (level === 'error' ? log.error(msg) : log.info(msg)) : undefined;
  const embeddedLog = log ? (msg: string, level: 'info' | 'warn' | 'error' = 'warn') => log[level](msg) : undefined;
  const database = await openDatabase(config, { metrics, log: embeddedLog, healthLog }).catch((err: Error) => {
    throw startupError(config, err);
  });
  try {
    const pending = (await migrationStatus(database)).filter((m) => !m.appliedAt);
    if (pending.length > 0) {
      throw new ConfigError([`database: ${pending.length} pending migration(s) (${pending.map((m) => m.id).join(', ')}); run \`wharf database migrate up\``]);
    }
    await refuseUnimportedLegacyData(database, driver);
  } catch (err) {
    await database.close();
    throw startupError(config, err as Error);
  }
  const v = config.validation;
  // The in-process cache of the hot reads (metadata/cache/local-store.ts); the store tells it of each change.
  const local = config.database.localcache.enabled ? await startLocalCache(database) : undefined;
  const store = databaseMetadataStore(database, { verifyReferences: !(v.disabled || v.enabled === false), afterChange: local?.afterChange });
  let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
  let cached: ReturnType<typeof cachedMetadataStore> | undefined;
  if (config.redis.cache.enabled) {
    try {
      redis = await connectRedis(config.redis.cache);
    } catch (err) {
      await local?.close();
      await database.close();
      throw new ConfigError([`redis.cache: cannot connect to ${config.redis.cache.addr}: ${(err as Error).message}`]);
    }
    const instance = (await database.query<{ id: string }>('registry_instance', 'SELECT id FROM registry_instance LIMIT 1'))[0]?.id ?? 'default';
    cached = cachedMetadataStore(store, redis, config.redis.cache.ttl, instance);
  }
  const inner = cached?.store ?? store;
  return {
    store: local ? local.wrap(inner) : inner,
    ...(cached ? { cache: cached.cache } : {}),
    gitlab: databaseGitlabMetadata(database, cached?.cache),
    database,
    async close() {
      await local?.close();
      redis?.disconnect();
      await database.close();
    },
  };
}
