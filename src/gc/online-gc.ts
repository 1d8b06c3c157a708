/**
 * Starts online garbage collection for a registry node in database mode: the
 * review delay from `gc.reviewafter`, a blob agent and a manifest agent
 * (unless disabled), and the queue gauges. Safe on many nodes at once.
 */
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/queryer.js';
import type { Logger } from '../observability/logger.js';
import type { StorageDriver } from '../storage/driver.js';
import { startGcAgent, type GcAgent } from './agent.js';
import { reviewNextBlob } from './blob-review.js';
import { reviewNextManifest } from './manifest-review.js';
import { registerQueueGauges } from './queue-stats.js';

/** Applies `gc.reviewafter` to every event's review delay (GitLab's `gc_review_after_defaults`). */
export async function applyReviewAfter(db: Database, ms: number): Promise<void> {
  await db.query('gc_review_after_set', "UPDATE gc_review_after_defaults SET value = $1 * interval '1 millisecond'", [ms]);
}

/** Starts the agents; returns a stopper. */
export async function startOnlineGc(config: Config, db: Database, driver: StorageDriver, log: Logger, registry: Registry): Promise<() => Promise<void>> {
  registerQueueGauges(registry, db);
  const gc = config.gc;
  if (gc.disabled || config.storage.maintenance.readonly.enabled) return async () => undefined;
  await applyReviewAfter(db, gc.reviewafter);
  const runs = new Counter({ name: 'wharf_gc_runs_total', help: 'Online GC review runs by worker and outcome', labelNames: ['worker', 'outcome'], registers: [registry] });
  const agents: GcAgent[] = [];
  const timing = { maxBackoff: gc.maxbackoff, noIdleBackoff: gc.noidlebackoff };
  if (!gc.blobs.disabled) agents.push(startGcAgent('blobs', () => reviewNextBlob(db, driver, gc.blobs.storagetimeout), { ...timing, interval: gc.blobs.interval }, log, runs));
  if (!gc.manifests.disabled) agents.push(startGcAgent('manifests', () => reviewNextManifest(db), { ...timing, interval: gc.manifests.interval }, log, runs));
  log.info({ blobs: !gc.blobs.disabled, manifests: !gc.manifests.disabled, reviewAfterMs: gc.reviewafter }, 'online garbage collection started');
  return async () => {
    await Promise.all(agents.map((a) => a.stop()));
  };
}
