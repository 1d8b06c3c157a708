/** Builds the notifier from config: the database outbox in database mode, files otherwise. */
import { randomUUID } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/queryer.js';
import type { Logger } from '../observability/logger.js';
import { databaseOutbox } from './db-outbox.js';
import { fileOutbox } from './file-outbox.js';
import { notificationMetrics } from './metrics.js';
import { Notifier, type LocalListener } from './notifier.js';
import type { Outbox } from './outbox.js';

/** Where the file outbox of worker `worker` lives. */
export function fileOutboxRoot(config: Config): string {
  const root = config.storage.filesystem?.rootdirectory;
  return root ? join(root, 'wharf', 'notifications') : join(tmpdir(), `wharf-notifications-${process.pid}`);
}

/** The outbox the config implies (the CLI uses it too). */
export function outboxFor(config: Config, database: Database | undefined, worker: number): Outbox {
  return database ? databaseOutbox(database) : fileOutbox(join(fileOutboxRoot(config), String(worker)));
}

/** A notifier, or undefined when no endpoint and no in-process listener is configured. */
export function createNotifier(config: Config, database: Database | undefined, registry: Registry, log: Logger, worker: number, local: readonly LocalListener[] = []): Notifier | undefined {
  if (config.notifications.endpoints.length === 0 && local.length === 0) return undefined;
  const outbox = outboxFor(config, database, worker);
  return new Notifier(
    config.notifications.endpoints,
    outbox,
    log.child({ component: 'notifications' }),
    notificationMetrics(
      registry,
      outbox,
      config.notifications.endpoints.map((e) => e.name),
    ),
    `${hostname()}:${process.pid}:${randomUUID()}`,
    local,
  );
}
