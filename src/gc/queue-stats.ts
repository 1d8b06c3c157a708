/**
 * Queue monitoring (SPEC 3.6): size and overdue count of each GC review
 * queue, for `wharf database gc-status` and as Prometheus gauges read at
 * scrape time.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Queryer } from '../db/queryer.js';

/** One queue's figures. */
export interface QueueStats {
  readonly queue: 'blobs' | 'manifests';
  readonly size: number;
  /** Entries whose review time has passed (work the agents have not caught up with). */
  readonly overdue: number;
  readonly oldestDue: Date | undefined;
}

/** Reads both queues. */
export async function gcQueueStats(q: Queryer): Promise<QueueStats[]> {
  const rows = await q.query<{ queue: 'blobs' | 'manifests'; size: string; overdue: string; oldest: Date | null }>(
    'gc_queue_stats',
    `SELECT 'blobs' AS queue, count(*) AS size, count(*) FILTER (WHERE review_after <= now()) AS overdue, min(review_after) FILTER (WHERE review_after <= now()) AS oldest FROM gc_blob_review_queue
     UNION ALL
     SELECT 'manifests', count(*), count(*) FILTER (WHERE review_after <= now()), min(review_after) FILTER (WHERE review_after <= now()) FROM gc_manifest_review_queue`,
  );
  return rows.map((r) => ({ queue: r.queue, size: Number(r.size), overdue: Number(r.overdue), oldestDue: r.oldest ?? undefined }));
}

/** Registers `wharf_gc_queue_size{queue}` and `wharf_gc_queue_overdue{queue}`, queried when scraped. */
export function registerQueueGauges(registry: Registry, q: Queryer): void {
  let pending: Promise<QueueStats[]> | undefined;
  // Both gauges are collected in one scrape: share one query between them.
  const stats = () => (pending ??= gcQueueStats(q).finally(() => setTimeout(() => (pending = undefined), 100)));
  new Gauge({
    name: 'wharf_gc_queue_size',
    help: 'Entries in the online GC review queues',
    aggregator: 'first', // every process reads the same queue: do not sum across a cluster
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const s of await stats().catch(() => [])) this.set({ queue: s.queue }, s.size);
    },
  });
  new Gauge({
    name: 'wharf_gc_queue_overdue',
    help: 'Online GC review queue entries whose review time has passed',
    aggregator: 'first',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const s of await stats().catch(() => [])) this.set({ queue: s.queue }, s.overdue);
    },
  });
}
