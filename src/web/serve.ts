/**
 * The admin web page (SPEC 9.4): static files served at `/admin/` (and `/`
 * redirected there). The page is a few small ES modules with no build step and no
 * outside resources; it holds no logic of its own beyond rendering, and
 * calls only `/api/v4` (signing in through `/api/v4/session`), so the
 * permissions it shows are the API's. A strict Content-Security-Policy
 * allows nothing but this origin.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/admin/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/admin/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/admin/core.js': { file: 'core.js', type: 'text/javascript; charset=utf-8' },
  '/admin/views-access.js': { file: 'views-access.js', type: 'text/javascript; charset=utf-8' },
  '/admin/views-projects.js': { file: 'views-projects.js', type: 'text/javascript; charset=utf-8' },
  '/admin/views-groups.js': { file: 'views-groups.js', type: 'text/javascript; charset=utf-8' },
  '/admin/views-admin.js': { file: 'views-admin.js', type: 'text/javascript; charset=utf-8' },
  '/admin/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

const cache = new Map<string, Buffer>();
function asset(file: string): Buffer {
  let body = cache.get(file);
  if (!body) {
    body = readFileSync(new URL(`./assets/${file}`, import.meta.url));
    cache.set(file, body);
  }
  return body;
}

/** Serves `/` and `/admin…`; false for any other path. */
export function serveWeb(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (path === '/' || path === '/admin') {
    res.writeHead(302, { Location: '/admin/', ...HEADERS }).end();
    return true;
  }
  if (!path.startsWith('/admin/')) return false;
  const found = ASSETS[path];
  if (!found || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(found ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8', ...HEADERS }).end(found ? 'method not allowed\n' : 'not found\n');
    return true;
  }
  const body = asset(found.file);
  res.writeHead(200, { 'Content-Type': found.type, 'Content-Length': body.length, ...HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
