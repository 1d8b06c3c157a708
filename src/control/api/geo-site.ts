/**
 * `/api/v4/geo/site/*`: what sites call on each other, with a site token
 * signed by the shared key (control/geo/site-auth.ts), not a user's:
 * the primary's event log (long poll), status reports, and a new primary's
 * announcement.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptAnnouncement } from '../geo/promotion.js';
import { SiteAuthError, verifySiteCall } from '../geo/site-auth.js';
import { listSites, recordSiteStatus } from '../geo/store.js';
import { controlDataChecksum, readControlData } from '../geo/control-data.js';
import type { Announcement } from '../geo/site-api.js';
import type { ControlPlaneServices } from '../services.js';
import { ApiError, readBody, sendJson } from './http.js';

/** The prefix under `/api/v4`. */
export const GEO_SITE_PREFIX = '/geo/site/';

/** Serves one site-to-site call. */
export async function serveGeoSite(req: IncomingMessage, res: ServerResponse, url: URL, path: string, services: ControlPlaneServices): Promise<void> {
  const geo = services.geo;
  if (!geo) throw new ApiError(404, '404 Geo is not configured on this site (geo.role)');
  const cp = services.config.controlplane;
  let caller: string;
  try {
    caller = await verifySiteCall(req, await services.signingKey(), cp.issuer, cp.service);
  } catch (err) {
    req.resume();
    if (err instanceof SiteAuthError) throw new ApiError(401, `401 Unauthorized: ${err.message}`);
    throw err;
  }
  const action = path.slice(GEO_SITE_PREFIX.length);
  const role = geo.site.current;
  if (action === 'events' && req.method === 'GET') {
    if (role.role !== 'primary') throw new ApiError(409, `409 ${geo.site.name} is not the primary`);
    const after = Math.max(0, Number(url.searchParams.get('after') ?? 0) || 0);
    const wait = Math.min(30, Math.max(0, Number(url.searchParams.get('wait') ?? 0) || 0));
    const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 1000) || 1000));
    const page = await geo.events.read(after, limit, wait * 1000);
    return sendJson(res, 200, { events: page.events, last_event_id: page.last.id, last_event_at: page.last.at, generation: role.generation });
  }
  if (action === 'status' && req.method === 'POST') {
    const body = await readBody(req, 256 * 1024);
    const known = await recordSiteStatus(services.db, caller, body);
    if (!known) services.log.warn({ site: caller }, 'geo: a site that is not registered reported its status (add it with wharf geo site add)');
    const sites = (await listSites(services.db)).map((s) => ({ name: s.name, api_url: s.api_url, registry_url: s.registry_url, is_primary: s.is_primary }));
    return sendJson(res, 200, { primary_name: geo.site.name, generation: role.generation, registered: known, sites, control_checksum: await controlDataChecksum(services.db) });
  }
  if (action === 'control-data' && req.method === 'GET') {
    if (role.role !== 'primary') throw new ApiError(409, `409 ${geo.site.name} is not the primary`);
    return sendJson(res, 200, await readControlData(services.db));
  }
  if (action === 'primary' && req.method === 'POST') {
    const b = (await readBody(req, 64 * 1024)) as Partial<Announcement>;
    if (typeof b.name !== 'string' || typeof b.api_url !== 'string' || typeof b.registry_url !== 'string' || typeof b.generation !== 'number')
      throw new ApiError(400, 'name, api_url, registry_url and generation are required', 'error');
    const accepted = await acceptAnnouncement(services.db, geo.site.name, b as Announcement);
    if (!accepted) throw new ApiError(409, `409 ${geo.site.name} already follows generation ${role.generation} or newer`);
    await geo.site.refresh();
    geo.backfill();
    services.log.warn({ primary: b.name, generation: b.generation }, 'geo: a newer primary announced itself; this site is now its secondary');
    return sendJson(res, 200, { accepted: true });
  }
  throw new ApiError(404, '404 Not Found');
}
