/**
 * Prometheus metrics of one Wharf instance, on a registry of its own so that
 * several instances (tests) never share counters.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics a registry instance records. */
export interface Metrics {
  readonly registry: Registry;
  /** Requests by route and status, per worker process (`worker` is 0 outside cluster mode). */
  readonly httpRequests: Counter<'method' | 'route' | 'status' | 'worker'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly bytesIn: Counter<'route'>;
  readonly bytesOut: Counter<'route'>;
  readonly storageDuration: Histogram<'driver' | 'op'>;
  readonly storageErrors: Counter<'driver' | 'op'>;
}

/** Creates the metric set; `defaults` adds process metrics (CPU, RSS, event loop). */
export function createMetrics(defaults = true): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'wharf_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'wharf_http_requests_total', help: 'HTTP requests by route, status and worker process', labelNames: ['method', 'route', 'status', 'worker'], registers }),
    httpDuration: new Histogram({
      name: 'wharf_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers,
    }),
    bytesIn: new Counter({ name: 'wharf_http_bytes_received_total', help: 'Request body bytes received', labelNames: ['route'], registers }),
    bytesOut: new Counter({ name: 'wharf_http_bytes_sent_total', help: 'Response body bytes sent', labelNames: ['route'], registers }),
    storageDuration: new Histogram({
      name: 'wharf_storage_operation_duration_seconds',
      help: 'Storage driver operation latency',
      labelNames: ['driver', 'op'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    storageErrors: new Counter({ name: 'wharf_storage_operation_errors_total', help: 'Storage driver operations that failed (missing paths excluded)', labelNames: ['driver', 'op'], registers }),
  };
}
