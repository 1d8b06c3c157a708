/** Geo's Prometheus metrics (SPEC 7.7): sync outcomes, bytes copied, and the state counts at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../../db/queryer.js';
import { registryCounts, siteState } from './store.js';

export interface GeoMetrics {
  readonly syncs: Counter<'result'>;
  readonly bytes: Counter;
}

/** Registers the metrics; the gauges read the database when scraped. */
export function createGeoMetrics(registry: Registry | undefined, db: Database): GeoMetrics {
  const registers = registry ? [registry] : [];
  const syncs = new Counter({ name: 'wharf_geo_repository_syncs_total', help: 'Repository syncs on this Geo secondary, by result (synced, failed)', labelNames: ['result'], registers });
  const bytes = new Counter({ name: 'wharf_geo_bytes_copied_total', help: 'Blob bytes copied from the primary', registers });
  if (registry) {
    new Gauge({
      name: 'wharf_geo_container_repositories',
      help: 'Container repositories on this Geo secondary by sync state (pending, started, synced, failed, verified, verification_failed)',
      labelNames: ['state'],
      registers,
      async collect() {
        const c = await registryCounts(db).catch(() => undefined);
        if (!c) return;
        for (const [state, n] of Object.entries({ pending: c.pending, started: c.started, synced: c.synced, failed: c.failed, verified: c.verified, verification_failed: c.verificationFailed })) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'wharf_geo_event_lag',
      help: "Events of the primary's log this site has not read yet",
      registers,
      async collect() {
        const s = await siteState(db).catch(() => undefined);
        if (s) this.set(Math.max(0, (s.primary_last_event_id ?? 0) - s.cursor_event_id));
      },
    });
  }
  return { syncs, bytes };
}
