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

/** The page's files (nothing else under `/admin/` is served), typed by their extension. */
const FILES = new Set(['app.js', 'core.js', 'views-access.js', 'views-projects.js', 'views-groups.js', 'views-admin.js', 'app.css']);
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

function assetOf(path: string): { file: string; type: string } | undefined {
  const file = path === '/admin/' ? 'index.html' : path.slice('/admin/'.length);
  if (file !== 'index.html' && !FILES.has(file)) return undefined;
  return { file, type: `${TYPES[file.slice(file.lastIndexOf('.') + 1)]}; charset=utf-8` };
}

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
  const found = assetOf(path);
  if (!found || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(found ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8', ...HEADERS }).end(found ? 'method not allowed\n' : 'not found\n');
    return true;
  }
  const body = asset(found.file);
  res.writeHead(200, { 'Content-Type': found.type, 'Content-Length': body.length, ...HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
