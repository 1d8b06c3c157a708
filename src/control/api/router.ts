/**
 * The REST API's router: `/api/v4/...` paths matched against each bounded
 * group of routes; authentication (personal access token, Basic, or the
 * admin page's session cookie with its CSRF token) before any handler; every error rendered here, once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateApi } from '../principal.js';
import type { ControlPlaneServices } from '../services.js';
import { receiveEvents, EVENTS_PATH } from './events.js';
import { groupRoutes } from './groups.js';
import { ApiError, fromDomainError, sendError, sendJson, type ApiContext } from './http.js';
import { DomainError } from '../domain-error.js';
import { memberRoutes } from './members.js';
import { openApiDocument } from './openapi.js';
import { projectRoutes } from './projects.js';
import { registryRoutes } from './registry.js';
import { settingsRoutes } from './settings.js';
import { userRoutes } from './users.js';
import { cleanupRoutes } from './cleanup.js';
import { geoRoutes } from './geo.js';
import { virtualRegistryRoutes } from './virtual-registries.js';
import { deployTokenRoutes } from './deploy-tokens.js';
import { sessionPrincipal, sessionRoutes } from './session.js';
import { operationRoutes } from './operations.js';
import { GEO_SITE_PREFIX, serveGeoSite } from './geo-site.js';

/** A route: method, path pattern under `/api/v4` (captures become `params`), handler. */
export type Route = readonly [string, RegExp, (ctx: ApiContext) => Promise<void>];

const ROUTES: readonly Route[] = [
  ...sessionRoutes,
  ...userRoutes,
  ...groupRoutes,
  ...memberRoutes,
  ...projectRoutes,
  ...deployTokenRoutes,
  ...registryRoutes,
  ...operationRoutes,
  ...cleanupRoutes,
  ...settingsRoutes,
  ...geoRoutes,
  ...virtualRegistryRoutes,
];

/** The API prefix. */
export const API_PREFIX = '/api/v4';

/** Serves one `/api/v4` request. */
export async function serveApi(req: IncomingMessage, res: ServerResponse, services: ControlPlaneServices): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control-plane.invalid');
  const path = url.pathname.slice(API_PREFIX.length) || '/';
  const log = services.log;
  try {
    if (path === EVENTS_PATH) return await receiveEvents(req, res, services.db, services.config.controlplane.notificationsecret, log);
    if (path.startsWith(GEO_SITE_PREFIX)) return await serveGeoSite(req, res, url, path, services);
    if (path === '/openapi.json' && req.method === 'GET') return sendJson(res, 200, openApiDocument(ROUTES));
    const matches = ROUTES.filter(([, re]) => re.test(path));
    if (matches.length === 0) throw new ApiError(404, '404 Not Found');
    const route = matches.find(([method]) => method === req.method);
    if (!route) {
      res.setHeader('Allow', [...new Set(matches.map(([m]) => m))].join(', '));
      throw new ApiError(405, '405 Method Not Allowed');
    }
    // The admin page's session cookie (with its CSRF token on writes), else the API's own credentials.
    const signedIn = await sessionPrincipal(services.db, req, path);
    const principal = signedIn?.principal ?? (await authenticateApi(services.db, req.headers));
    if (!principal) throw new ApiError(401, '401 Unauthorized');
    const params = route[1].exec(path)!.slice(1) as string[];
    await route[2]({ req, res, url, params, principal, db: services.db, services, log, session: signedIn?.session });
  } catch (err) {
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (err instanceof ApiError) return sendError(res, err);
    if (err instanceof DomainError) return sendError(res, fromDomainError(err));
    if ((err as Error)?.name === 'DatabaseUnavailableError') {
      log.warn({ err: (err as Error).message }, 'control plane request failed: the database is unavailable');
      return sendError(res, new ApiError(503, `503 Service Unavailable: ${(err as Error).message}`));
    }
    log.error({ err }, 'control plane request failed');
    sendError(res, new ApiError(500, '500 Internal Server Error'));
  }
}
