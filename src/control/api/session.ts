/**
 * Sign-in sessions of the admin web page (SPEC 9.4), on the API the page
 * calls: `POST /session` takes a username and password and sets the session
 * cookie (HttpOnly, SameSite=Strict, Secure over TLS) and answers the CSRF
 * token that every write made with the cookie must carry in `X-CSRF-Token`;
 * `GET /session` answers who is signed in; `DELETE /session` signs out.
 */
import type { IncomingMessage, IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Database } from '../../db/queryer.js';
import { authenticateBasic, type Principal } from '../principal.js';
import { safeEqual } from '../secrets.js';
import { createSession, deleteSession, SESSION_HOURS, sessionById } from '../store/sessions.js';
import { ApiError, readBody, sendJson, str } from './http.js';
import { presentUser } from './present.js';
import type { Route } from './router.js';

export const SESSION_COOKIE = 'wharf_session';

function cookieOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const secure = (req.socket as TLSSocket).encrypted ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * The principal of a call that carries the session cookie and no other
 * credentials; its writes must carry the session's CSRF token. Undefined when
 * the call has no cookie (other credentials, or none).
 */
export async function sessionPrincipal(db: Database, req: IncomingMessage, path: string): Promise<{ principal: Principal; session: { id: string; csrf: string } } | undefined> {
  if (req.headers.authorization || req.headers['private-token']) return undefined;
  const id = cookieOf(req.headers, SESSION_COOKIE);
  if (!id) return undefined;
  const signingIn = path === '/session' && req.method === 'POST';
  const found = await sessionById(db, id);
  if (!found) {
    // A stale cookie must not stand in the way of signing in again.
    if (signingIn) return undefined;
    throw new ApiError(401, '401 Unauthorized - the session has expired; sign in again');
  }
  const write = req.method !== 'GET' && req.method !== 'HEAD';
  // Signing in again needs no token: it replaces the session.
  if (write && !signingIn) {
    const sent = req.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !safeEqual(sent, found.csrf)) throw new ApiError(403, '403 Forbidden - the CSRF token is missing or wrong; reload the page');
  }
  return { principal: { kind: 'user', user: found.user, authType: 'gitlab_or_ldap' }, session: { id, csrf: found.csrf } };
}

export const sessionRoutes: Route[] = [
  [
    'POST',
    /^\/session$/,
    async (ctx) => {
      const body = await readBody(ctx.req);
      const username = str(body, 'username', true);
      const password = str(body, 'password', true);
      // A password only: tokens are for programs, the page is for people.
      const p = await authenticateBasic(ctx.db, username, password);
      if (!p || p.kind !== 'user' || p.authType !== 'gitlab_or_ldap') throw new ApiError(401, '401 Unauthorized - wrong username or password');
      if (ctx.session) await deleteSession(ctx.db, ctx.session.id);
      const s = await createSession(ctx.db, p.user.id);
      sendJson(ctx.res, 201, { user: presentUser(p.user, true), csrf_token: s.csrf, expires_at: s.expiresAt.toISOString() }, { 'Set-Cookie': cookie(ctx.req, s.id, SESSION_HOURS * 3600), 'Cache-Control': 'no-store' });
    },
  ],
  [
    'GET',
    /^\/session$/,
    async (ctx) => {
      if (!ctx.session || ctx.principal.kind !== 'user') throw new ApiError(401, '401 Unauthorized - not signed in');
      sendJson(ctx.res, 200, { user: presentUser(ctx.principal.user, true), csrf_token: ctx.session.csrf }, { 'Cache-Control': 'no-store' });
    },
  ],
  [
    'DELETE',
    /^\/session$/,
    async (ctx) => {
      if (ctx.session) await deleteSession(ctx.db, ctx.session.id);
      sendJson(ctx.res, 204, null, { 'Set-Cookie': cookie(ctx.req, '', 0) });
    },
  ],
];
