/**
 * The registry's request listener: request ids, common headers, routing,
 * the one place errors are rendered, access logs and HTTP metrics.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthChecker } from '../observability/health.js';
import type { Logger } from '../observability/logger.js';
import { serveOpsEndpoint, type MetricsExporter } from '../observability/endpoints.js';
import { regErr, renderErrors, toRegistryError } from '../oci/errors.js';
import { dispatch } from './dispatch.js';
import { matchRoute, ROUTE_METHODS } from './routes.js';
import { workerIndex } from '../observability/worker-identity.js';
import type { RegistryServices, RequestContext } from './context.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('404 page not found\n');
}

/** Creates the `(req, res)` listener for the registry API, health and metrics. */
export function createRegistryListener(services: RegistryServices, health: HealthChecker, exportMetrics: MetricsExporter): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, metrics, log } = services;
  const prefix = config.http.prefix.replace(/\/+$/, '');
  const extraHeaders = Object.entries(config.http.headers);
  const accessLog = !config.log.accesslog.disabled;
  const worker = String(workerIndex());

  return (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const socket = req.socket;
    const readBefore = socket.bytesRead;
    const writtenBefore = socket.bytesWritten;
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    res.setHeader('X-Request-Id', requestId);
    for (const [k, v] of extraHeaders) res.setHeader(k, v);

    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length) || '/';
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    // The per-request logger is made only when something is logged (not on every pull).
    let child: Logger | undefined;
    const reqLog = (): Logger => (child ??= log.child({ requestId }));
    const ctx: RequestContext = {
      req,
      res,
      query,
      services,
      requestId,
      get log() {
        return reqLog();
      },
    };
    let routeLabel = 'unknown';

    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = req.method ?? 'GET';
      metrics.httpRequests.inc({ method, route: routeLabel, status: String(res.statusCode), worker });
      metrics.httpDuration.observe({ method, route: routeLabel }, seconds);
      metrics.bytesIn.inc({ route: routeLabel }, Math.max(0, socket.bytesRead - readBefore));
      metrics.bytesOut.inc({ route: routeLabel }, Math.max(0, socket.bytesWritten - writtenBefore));
      if (accessLog) reqLog().info({ method, path, status: res.statusCode, durationMs: Math.round(seconds * 1e6) / 1e3, route: routeLabel }, 'request');
    });

    const fail = (err: unknown) => {
      try {
        answerError(err);
      } catch (last) {
        // The last resort: whatever went wrong while answering, this request ends and the process serves on.
        reqLog().error({ err: last }, 'could not answer an error');
        res.destroy();
      }
    };
    const answerError = (err: unknown) => {
      // A client that disconnected cannot be answered; that is not a server error. The request's
      // socket, not the response's: a response queued behind the previous one on a keep-alive
      // connection has no socket yet, and destroying it then reset the connection (issue 21, item 8).
      if (req.socket.destroyed) {
        reqLog().info({ err: (err as Error).message }, 'client went away');
        res.destroy();
        return;
      }
      const e = toRegistryError(err);
      if (e.code === 'UNKNOWN') reqLog().error({ err }, 'request failed');
      else if (e.code === 'UNAVAILABLE') reqLog().warn({ err: e.message, status: e.status }, 'request failed: a dependency is unavailable');
      else reqLog().debug({ code: e.code, detail: e.detail }, 'request refused');
      if (res.headersSent) {
        // Cut short a body being sent; a response already complete stays (the connection serves the next request).
        if (!res.writableEnded) res.destroy();
        return;
      }
      const body = req.method === 'HEAD' ? '' : renderErrors([e]);
      // Refused before a large body was read: close rather than read and discard it to keep the connection.
      // Out of space (507) is the exception: the rest is read and dropped, so the client gets the answer, not a reset.
      if (!req.complete && e.status !== 507 && Number(req.headers['content-length'] ?? 0) > 1024 * 1024) res.setHeader('Connection', 'close');
      res.writeHead(e.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };

    try {
      if (serveOpsEndpoint(path, res, health, exportMetrics, '/metrics', fail)) {
        routeLabel = 'ops';
        return;
      }
      const route = matchRoute(path);
      // /gitlab/v1 exists only with the metadata database (as in GitLab's registry).
      if (!route || (route.kind.startsWith('gitlab-') && !services.gitlab)) {
        notFound(res);
        return;
      }
      routeLabel = route.kind;
      const allowed = ROUTE_METHODS[route.kind];
      if (!allowed.includes(req.method ?? '')) {
        res.setHeader('Allow', allowed.join(', '));
        throw regErr('UNSUPPORTED', `method ${req.method ?? ''} is not allowed here`);
      }
      // As Distribution's health handler: while a dependency fails its health check the version check
      // answers 503 naming it, so a load balancer probing /v2/ stops sending traffic here.
      if (route.kind === 'base') {
        const failing = Object.entries(health.status());
        if (failing.length > 0) throw regErr('UNAVAILABLE', `unhealthy: ${failing.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
      }
      dispatch(ctx, route).catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}
