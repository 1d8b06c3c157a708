/**
 * Opens the metadata database the `database` section names: an external
 * PostgreSQL server when `database.host` is set, otherwise the embedded
 * server under `<rootdirectory>/wharf/postgres` (started, or joined when
 * already running). Both are the same engine, reached through the same pool
 * and the same SQL.
 */
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { acquireEmbeddedServer, type EmbeddedConnection, type EmbeddedLog, type EmbeddedRole } from './embedded/server.js';
import { scratchDatabase } from './embedded/scratch.js';
import { migrateUp } from './migrator.js';
import { pgDatabase, poolConfig, timeoutConfig } from './pg-database.js';
import type { HealthLog } from './availability.js';
import type { Database } from './queryer.js';

/** True when the `database` section asks for the embedded server (no host). */
export const isEmbedded = (config: Config): boolean => !config.database.host;

/**
 * Where the embedded server keeps its files: under the filesystem driver's
 * root, or nowhere (`memory`) with the inmemory driver. Object storage needs
 * an external server: a local disk is not shared by the nodes it serves.
 */
export function embeddedLocation(config: Config): string | 'memory' {
  if (config.storage.s3 || config.storage.s3_v2 || config.storage.azure || config.storage.azure_v2 || config.storage.gcs) {
    throw new ConfigError(['database.host: with object storage, metadata needs an external PostgreSQL (set database.host), or legacy metadata in the bucket (database.enabled: false)']);
  }
  const root = config.storage.filesystem?.rootdirectory;
  return config.storage.inmemory || !root ? 'memory' : join(resolve(root), 'wharf', 'postgres');
}

/** What to say where a database was. */
export function describeDatabase(config: Config): string {
  return isEmbedded(config) ? `the embedded database at ${embeddedLocation(config)}` : `${config.database.host}:${config.database.port}/${config.database.dbname}`;
}

/** Options that are not configuration. */
export interface OpenOptions {
  /** Receives `wharf_database_query_duration_seconds{query}`. */
  readonly metrics?: Registry | undefined;
  /** Receives notable events of the embedded server. */
  readonly log?: EmbeddedLog | undefined;
  /** `command` for a CLI run (it joins a running server; one it starts waits for others before stopping). */
  readonly role?: EmbeddedRole | undefined;
  /** Receives the database becoming unavailable and available again. */
  readonly healthLog?: HealthLog | undefined;
}

/**
 * Opens a pool on the configured database. The embedded one is brought up to
 * date on open (it belongs to this installation; migrations under a lock are
 * safe with several processes); an external one is checked by the caller.
 */
export async function openDatabase(config: Config, opts: OpenOptions = {}): Promise<Database> {
  if (!isEmbedded(config)) return pgDatabase(poolConfig(config.database), { metrics: opts.metrics, log: opts.healthLog });
  const where = embeddedLocation(config);
  let connection: EmbeddedConnection;
  let release: () => Promise<void>;
  if (where === 'memory') {
    const scratch = await scratchDatabase();
    connection = scratch.connection;
    release = scratch.drop;
  } else {
    const server = await acquireEmbeddedServer(where, opts.log, opts.role);
    connection = server.connection;
    release = server.release;
  }
  const p = config.database.pool;
  // Small by default: each backend is a process on this machine (the default mode's memory budget), and the cache answers most reads.
  const db = pgDatabase({ ...connection, max: p.maxopen ?? 4, idleTimeoutMillis: p.maxidletime ?? 30_000, ssl: false, ...timeoutConfig(config.database) }, { metrics: opts.metrics, log: opts.healthLog });
  try {
    await migrateUp(db);
  } catch (err) {
    await db.close();
    await release();
    throw err;
  }
  return {
    ...db,
    async close() {
      await db.close();
      await release();
    },
  };
}

/**
 * Starts (or joins) the embedded server a config uses, for a process that
 * hands it to others (the cluster supervisor): undefined when the config
 * uses an external server, legacy metadata or no disk.
 */
export async function startEmbeddedServer(config: Config, log?: EmbeddedLog): Promise<{ release(): Promise<void> } | undefined> {
  if (!config.database.enabled || !isEmbedded(config)) return undefined;
  const where = embeddedLocation(config);
  return where === 'memory' ? undefined : acquireEmbeddedServer(where, log);
}
