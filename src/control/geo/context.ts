/** What the Geo loops of one site share, built once by `runtime.ts`. */
import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/queryer.js';
import type { Logger } from '../../observability/logger.js';
import type { GeoMetrics } from './metrics.js';
import type { SiteRegistry } from './registry-http.js';
import type { SiteTokens } from './site-auth.js';
import type { GeoSite } from './site.js';

export interface GeoContext {
  readonly config: Config;
  readonly db: Database;
  readonly site: GeoSite;
  readonly tokens: SiteTokens;
  /** The primary's registry (pull-only tokens); only while this site is a secondary. */
  primaryRegistry(): SiteRegistry;
  /** This site's own registry (replication tokens). */
  readonly local: SiteRegistry;
  readonly log: Logger;
  readonly metrics: GeoMetrics;
}

/** Sleeps `ms`, or less when `signal` fires. */
export function pause(ms: number, wake?: { promise: Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
    wake?.promise.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
