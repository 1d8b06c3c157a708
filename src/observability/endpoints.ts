/**
 * The operational endpoints: `/debug/health` and `/debug/ready` (storage
 * and database health: 503 with the failing parts and why), `/debug/live`
 * (liveness: 200 while the process serves) and the Prometheus exposition. Served on the main listener, and on `http.debug.addr`
 * when that is configured.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthChecker } from './health.js';

/** Produces the Prometheus exposition (this process's, or the whole cluster's). */
export type MetricsExporter = () => Promise<{ text: string; contentType: string }>;

/** Answers `path` when it is an operational endpoint; returns false otherwise. */
export function serveOpsEndpoint(path: string, res: ServerResponse, health: HealthChecker, exportMetrics: MetricsExporter, metricsPath: string, onError: (err: unknown) => void): boolean {
  // Liveness: the process serves (a load balancer's health check and a readiness probe use /debug/health or /debug/ready).
  if (path === '/debug/live') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
    return true;
  }
  if (path === '/debug/health' || path === '/debug/ready') {
    const failing = health.status();
    res.writeHead(Object.keys(failing).length === 0 ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(failing));
    return true;
  }
  if (path === metricsPath) {
    exportMetrics().then(({ text, contentType }) => {
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(text);
    }, onError);
    return true;
  }
  return false;
}

/** A listener for the debug server: the operational endpoints and 404 for the rest. */
export function createDebugListener(health: HealthChecker, exportMetrics: MetricsExporter, metricsPath: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const fail = () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    };
    if (!serveOpsEndpoint(path, res, health, exportMetrics, metricsPath, fail)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 page not found\n');
    }
  };
}
