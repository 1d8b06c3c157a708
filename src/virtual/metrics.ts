/** Virtual registry metrics (SPEC 8.4): requests by result, upstream errors, bytes fetched, bytes saved. */
import { Counter, type Registry } from 'prom-client';

export interface VirtualMetrics {
  readonly requests: Counter<'result'>;
  readonly upstreamErrors: Counter;
  readonly bytes: Counter<'direction'>;
  readonly bytesSaved: Counter;
}

export function createVirtualMetrics(registry: Registry): VirtualMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'wharf_virtual_registry_requests_total',
      help: 'Virtual registry pulls by result: hit, miss (one upstream fetch), joined (followed a fetch already running), revalidated',
      labelNames: ['result'],
      registers,
    }),
    upstreamErrors: new Counter({ name: 'wharf_virtual_registry_upstream_errors_total', help: 'Upstream requests that failed (refused, timeout, 5xx, 429)', registers }),
    bytes: new Counter({ name: 'wharf_virtual_registry_bytes_total', help: 'Bytes fetched from upstreams', labelNames: ['direction'], registers }),
    bytesSaved: new Counter({
      name: 'wharf_virtual_registry_bytes_saved_total',
      help: 'Bytes served without an upstream fetch (cache hits and clients that joined a fill already running)',
      registers,
    }),
  };
}
