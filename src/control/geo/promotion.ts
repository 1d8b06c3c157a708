/**
 * Failover (SPEC 7.6). `promote` turns a secondary into the primary: its
 * generation goes one past the one it followed, it takes writes and starts
 * its own event log. The announcer then tells every other site it knows of
 * (the site list a secondary mirrors from its primary), retrying until each
 * has heard: the other secondaries re-point to it, and the old primary, when
 * it comes back, learns that a newer generation exists and becomes a
 * secondary of the new primary (it refuses writes from then on).
 */
import type { Database } from '../../db/queryer.js';
import { DomainError } from '../domain-error.js';
import type { GeoContext } from './context.js';
import { pause } from './context.js';
import { siteCall, type Announcement } from './site-api.js';
import { becomePrimary, listSites, markAnnounced, scheduleResync, setPrimary, siteState } from './store.js';
import type { GeoRoleNow } from './site.js';

/** Makes this site the primary; returns the new generation. */
export async function promote(db: Database, name: string, role: GeoRoleNow): Promise<{ generation: number; sites: number }> {
  if (role.role === 'none') throw new DomainError('invalid', 'Geo is not configured on this site (geo.role)');
  if (role.role === 'primary') throw new DomainError('conflict', 'this site is already the primary');
  return db.transaction(async (tx) => {
    const state = await siteState(tx);
    const generation = state.generation + 1;
    await becomePrimary(tx, generation);
    await tx.query('geo_promote_sites', 'UPDATE geo_sites SET is_primary = (name = $1)', [name]);
    const sites = await listSites(tx);
    return { generation, sites: sites.filter((s) => s.name !== name).length };
  });
}

/** Takes an announcement of a new primary; false when it is not newer than what this site follows. */
export async function acceptAnnouncement(db: Database, selfName: string, a: Announcement): Promise<boolean> {
  if (a.name === selfName) return false;
  return db.transaction(async (tx) => {
    const state = await siteState(tx);
    if (a.generation <= state.generation) return false;
    await setPrimary(tx, { name: a.name, api_url: a.api_url, registry_url: a.registry_url, generation: a.generation });
    await tx.query('geo_accept_sites', 'UPDATE geo_sites SET is_primary = (name = $1)', [a.name]);
    // Everything is compared with the new primary: content written to the old one after the failover point goes.
    await scheduleResync(tx, undefined, false);
    return true;
  });
}

/** On a primary: announces it to every site that has not heard of its generation, until each has. */
export async function announceLoop(ctx: GeoContext, stopped: () => boolean, wake: { promise: Promise<void> }): Promise<void> {
  while (!stopped()) {
    const role = ctx.site.current;
    if (role.role === 'primary' && role.generation > 0) {
      try {
        const sites = await listSites(ctx.db);
        const self = sites.find((s) => s.name === ctx.site.name);
        if (self) {
          for (const s of sites) {
            if (s.name === self.name || s.announced_generation >= role.generation) continue;
            const body: Announcement = { name: self.name, api_url: self.api_url, registry_url: self.registry_url, generation: role.generation };
            try {
              await siteCall(ctx.tokens, s.api_url, 'POST', '/primary', body, 5000);
              await markAnnounced(ctx.db, s.id, role.generation);
              ctx.log.info({ site: s.name, generation: role.generation }, 'geo: announced this primary');
            } catch (err) {
              // A 409 means the site already follows this generation or a newer one.
              if ((err as { status?: number }).status === 409) await markAnnounced(ctx.db, s.id, role.generation);
              else ctx.log.debug({ site: s.name, err: (err as Error).message }, 'geo: announcement not delivered yet');
            }
          }
        }
      } catch (err) {
        ctx.log.warn({ err }, 'geo: announcing failed');
      }
    }
    await pause(2000, wake);
  }
}
