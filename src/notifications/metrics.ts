/** Notification metrics: pending and failed (read from the outbox at scrape time), delivered, latency. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Outbox } from './outbox.js';

/** The notification metrics. */
export interface NotificationMetrics {
  readonly delivered: Counter<'endpoint'>;
  readonly failed: Counter<'endpoint'>;
  readonly latency: Histogram<'endpoint'>;
}

/** Registers the metrics on `registry`. */
export function notificationMetrics(registry: Registry, outbox: Outbox, endpoints: readonly string[]): NotificationMetrics {
  // Every configured endpoint is reported, at 0 when its queue is empty.
  const stats = async () => {
    const found = await outbox.stats().catch(() => []);
    return [...found, ...endpoints.filter((e) => !found.some((s) => s.endpoint === e)).map((endpoint) => ({ endpoint, pending: 0, failed: 0 }))];
  };
  new Gauge({
    name: 'wharf_notifications_pending',
    help: 'Events waiting in the outbox, per endpoint',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set({ endpoint: s.endpoint }, s.pending);
    },
  });
  new Gauge({
    name: 'wharf_notifications_failed',
    help: 'Events kept as failed after their retries, per endpoint (replay with wharf notifications replay)',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await stats()) this.set({ endpoint: s.endpoint }, s.failed);
    },
  });
  return {
    delivered: new Counter({ name: 'wharf_notifications_delivered_total', help: 'Events delivered, per endpoint', labelNames: ['endpoint'], registers: [registry] }),
    failed: new Counter({ name: 'wharf_notifications_failed_total', help: 'Events that exhausted their retries, per endpoint', labelNames: ['endpoint'], registers: [registry] }),
    latency: new Histogram({ name: 'wharf_notifications_delivery_seconds', help: 'Time to deliver one envelope', labelNames: ['endpoint'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
  };
}
