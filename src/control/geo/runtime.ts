/**
 * Geo on one site, built by the control plane when `geo.role` is set: the
 * role (kept fresh), tokens, the registries the sync talks to, the primary's
 * event log, and (on the one process that runs background work) the loops:
 * on a secondary the follower, the sync scheduler and the status report to
 * the primary; on a promoted primary the announcer.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/queryer.js';
import type { RegistryEvent } from '../../notifications/event.js';
import type { Logger } from '../../observability/logger.js';
import type { TokenIssuer } from '../token-issuer.js';
import { pause, type GeoContext } from './context.js';
import { EventWaiter, recordGeoEvents } from './event-log.js';
import { EventFollower } from './follower.js';
import { createGeoMetrics } from './metrics.js';
import { announceLoop } from './promotion.js';
import { SiteRegistry, SyncError } from './registry-http.js';
import { SyncScheduler } from './scheduler.js';
import { siteCall, type SiteListing } from './site-api.js';
import { SiteTokens } from './site-auth.js';
import { GeoSite } from './site.js';
import { computeStatus } from './status.js';
import { applyControlData, type ControlData } from './control-data.js';
import { isSynced, mirrorSites } from './store.js';

const REPORT_MS = 5_000;

/** Geo as the rest of the control plane and the registry hook see it. */
export interface GeoRuntime {
  readonly site: GeoSite;
  readonly tokens: SiteTokens;
  readonly events: EventWaiter;
  /** Syncs now (after a resync request); no-op where the loops do not run. */
  poke(): void;
  /** A backfill scan now. */
  backfill(): void;
  /** The follower's last error talking to the primary. */
  lastError(): string | undefined;
  /** Records registry events in the event log (on a primary). */
  recordEvents(events: readonly RegistryEvent[]): Promise<void>;
  /** True when a repository is fully synced here (the registry serves its tags itself). */
  synced(path: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts Geo for a site. `runLoops`: this process runs the background work (one per node). */
export async function startGeo(config: Config, db: Database, issuer: TokenIssuer, log: Logger, localRegistryUrl: () => string, opts: { runLoops: boolean; metrics?: Registry | undefined }): Promise<GeoRuntime> {
  const site = await GeoSite.open(config, db);
  const tokens = new SiteTokens(issuer, () => site.name);
  const glog = log.child({ component: 'geo', site: site.name });
  const local = new SiteRegistry('local', localRegistryUrl, (path) => (path === '' ? tokens.catalog() : tokens.write(path)));
  let primary: SiteRegistry | undefined;
  let primaryUrl = '';
  const ctx: GeoContext = {
    config,
    db,
    site,
    tokens,
    local,
    log: glog,
    metrics: createGeoMetrics(opts.runLoops ? opts.metrics : undefined, db),
    primaryRegistry() {
      const p = site.current.primary;
      if (!p) throw new SyncError('this site follows no primary (it is not a secondary now)');
      if (!primary || primaryUrl !== p.registryUrl) {
        primaryUrl = p.registryUrl;
        primary = new SiteRegistry(
          'primary',
          () => p.registryUrl,
          (path) => (path === '' ? tokens.catalog() : tokens.pull(path)),
        );
      }
      return primary;
    },
  };
  const events = new EventWaiter(db);
  let scheduler: SyncScheduler | undefined;
  let follower: EventFollower | undefined;
  let stopped = false;
  let fireStop = () => undefined as void;
  const stopWake = { promise: new Promise<void>((resolve) => (fireStop = resolve)) };
  const loops: Promise<void>[] = [];
  if (opts.runLoops) {
    scheduler = new SyncScheduler(ctx);
    follower = new EventFollower(ctx, () => scheduler?.poke());
    scheduler.start();
    follower.start();
    site.onChange((now) => {
      glog.info({ role: now.role, generation: now.generation, primary: now.primary?.apiUrl }, 'geo: role changed');
      follower?.backfillNow();
    });
    loops.push(
      announceLoop(ctx, () => stopped, stopWake),
      reportLoop(
        ctx,
        () => stopped,
        stopWake,
        () => follower?.lastError,
      ),
    );
  }
  return {
    site,
    tokens,
    events,
    poke: () => scheduler?.poke(),
    backfill: () => follower?.backfillNow(),
    lastError: () => follower?.lastError,
    async recordEvents(evs) {
      if (site.current.role === 'primary') await recordGeoEvents(db, evs);
    },
    synced: (path) => isSynced(db, path),
    async close() {
      stopped = true;
      fireStop();
      events.close();
      await follower?.stop();
      await scheduler?.stop();
      await Promise.allSettled(loops);
      site.close();
    },
  };
}

/** A secondary reports its status to the primary and mirrors the primary's site list. */
async function reportLoop(ctx: GeoContext, stopped: () => boolean, wake: { promise: Promise<void> }, lastError: () => string | undefined): Promise<void> {
  let applied: string | undefined;
  let failing: string | undefined;
  while (!stopped()) {
    const role = ctx.site.current;
    if (role.role === 'secondary' && role.primary) {
      try {
        const status = await computeStatus(ctx.db, ctx.site.name, role, lastError());
        const reply = await siteCall<{ sites?: SiteListing[]; primary_name?: string; control_checksum?: string }>(ctx.tokens, role.primary.apiUrl, 'POST', '/status', status, 5000);
        if (reply.control_checksum && reply.control_checksum !== applied) {
          const snapshot = await siteCall<{ data: ControlData; checksum: string }>(ctx.tokens, role.primary.apiUrl, 'GET', '/control-data', undefined, 30_000);
          await applyControlData(ctx.db, snapshot.data);
          applied = snapshot.checksum;
          ctx.log.info({ checksum: applied }, "geo: copied the primary's users, projects and settings");
        }
        failing = undefined;
        const sites = Array.isArray(reply.sites) ? reply.sites.filter((s) => s.name !== reply.primary_name) : [];
        // The primary is not in its own list: add it as this site reaches it, so a promotion can announce itself there too.
        if (reply.primary_name) {
          sites.push({ name: reply.primary_name, api_url: role.primary.apiUrl, registry_url: role.primary.registryUrl, is_primary: true });
          if (role.primary.name !== reply.primary_name) await ctx.db.query('geo_primary_name', 'UPDATE geo_site_state SET primary_name = $1', [reply.primary_name]);
        }
        if (sites.length > 0) await mirrorSites(ctx.db, sites);
      } catch (err) {
        const message = (err as Error).message;
        if (failing !== message) ctx.log.warn({ err: message }, 'geo: status report or control-data copy failed; retrying');
        failing = message;
      }
    }
    await pause(REPORT_MS, wake);
  }
}
