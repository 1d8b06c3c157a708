/**
 * `/api/v4/geo/...` (admin; SPEC 7): sites, this site's status and sync
 * records, resync and promotion. The site-to-site endpoints are in
 * `geo-site.ts` (site tokens, not personal ones).
 */
import { promote } from '../geo/promotion.js';
import { addSite, removeSite, resync } from '../geo/sites.js';
import { computeStatus } from '../geo/status.js';
import { listSites, registryRows } from '../geo/store.js';
import type { GeoRuntime } from '../geo/runtime.js';
import { ApiError, bool, notFound, pageOf, readBody, sendJson, str, type ApiContext } from './http.js';
import { requireAdmin, requireWrite } from './resources.js';
import type { Route } from './router.js';

function geoOf(ctx: ApiContext): GeoRuntime {
  const geo = ctx.services.geo;
  if (!geo) throw new ApiError(404, '404 Geo is not configured on this site (geo.role)');
  return geo;
}

/** This site's status now. */
const currentStatus = (ctx: ApiContext, geo: GeoRuntime) => computeStatus(ctx.db, geo.site.name, geo.site.current, geo.lastError());

export const geoRoutes: Route[] = [
  [
    'GET',
    /^\/geo\/sites$/,
    async (ctx) => {
      requireAdmin(ctx);
      geoOf(ctx);
      sendJson(ctx.res, 200, await listSites(ctx.db));
    },
  ],
  [
    'POST',
    /^\/geo\/sites$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      geoOf(ctx);
      sendJson(ctx.res, 201, await addSite(ctx.db, await readBody(ctx.req)));
    },
  ],
  [
    'DELETE',
    /^\/geo\/sites\/([^/]+)$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      geoOf(ctx);
      await removeSite(ctx.db, decodeURIComponent(ctx.params[0] as string));
      ctx.res.writeHead(204).end();
    },
  ],
  [
    'GET',
    /^\/geo\/sites\/([^/]+)\/status$/,
    async (ctx) => {
      requireAdmin(ctx);
      const geo = geoOf(ctx);
      const ref = decodeURIComponent(ctx.params[0] as string);
      if (ref === 'current' || ref === geo.site.name) return sendJson(ctx.res, 200, await currentStatus(ctx, geo));
      const site = (await listSites(ctx.db)).find((s) => String(s.id) === ref || s.name === ref);
      if (!site) throw notFound('Site');
      if (!site.status) throw new ApiError(404, `404 ${site.name} has not reported its status yet`);
      sendJson(ctx.res, 200, { ...site.status, status_reported_at: site.status_at });
    },
  ],
  [
    'GET',
    /^\/geo\/status$/,
    async (ctx) => {
      requireAdmin(ctx);
      sendJson(ctx.res, 200, await currentStatus(ctx, geoOf(ctx)));
    },
  ],
  [
    'GET',
    /^\/geo\/repositories$/,
    async (ctx) => {
      requireAdmin(ctx);
      geoOf(ctx);
      const { perPage, offset } = pageOf(ctx.url);
      const state = ctx.url.searchParams.get('state');
      sendJson(ctx.res, 200, await registryRows(ctx.db, { state: state === null ? undefined : Number(state), limit: perPage, offset }));
    },
  ],
  [
    'POST',
    /^\/geo\/resync$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const geo = geoOf(ctx);
      const body = await readBody(ctx.req);
      const path = str(body, 'path');
      if (!path && bool(body, 'all') !== true) throw new ApiError(400, 'give a repository path, or all: true', 'error');
      const scheduled = await resync(ctx.db, path, bool(body, 'verify') ?? false);
      if (!path) geo.backfill();
      geo.poke();
      sendJson(ctx.res, 202, { scheduled });
    },
  ],
  [
    'POST',
    /^\/geo\/promote$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const geo = geoOf(ctx);
      const out = await promote(ctx.db, geo.site.name, geo.site.current);
      await geo.site.refresh();
      sendJson(ctx.res, 200, out);
    },
  ],
];
