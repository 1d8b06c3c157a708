/**
 * The registry's thin Geo hook (SPEC 7.4, 7.5); Geo itself lives in the
 * control plane (`control/geo/`), which the server hands in as `GeoHook`.
 * On a secondary: writes are refused naming the primary (the sync's own
 * writes, with a replication grant, pass); tag reads of a repository not
 * fully synced, and any manifest or blob this site does not hold yet, go to
 * the primary: proxied with the client's own token (the sites share the
 * signing key, issuer and service) or redirected, per
 * `geo.secondary.unsynced`. Clients never get a stale or missing image.
 */
import { Readable } from 'node:stream';
import { grants } from '../auth/claims.js';
import { regErr, RegistryError } from '../oci/errors.js';
import type { RequestContext } from './context.js';
import type { Route } from './routes.js';

/** What the registry asks Geo. */
export interface GeoHook {
  /** The primary's registry URL while this site is a secondary; undefined while it takes writes. */
  primaryRegistryUrl(): string | undefined;
  readonly unsynced: 'proxy' | 'redirect';
  /** True when every tag and referrer of the repository was copied and no newer event is pending. */
  synced(path: string): Promise<boolean>;
}

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const READ_KINDS = new Set(['manifest', 'blob', 'tags', 'referrers']);
/** Answers that mean "not here (yet)". */
const MISSING = new Set(['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN']);
/** Response headers worth passing on from the primary. */
const PASS = ['content-type', 'content-length', 'docker-content-digest', 'etag', 'link', 'content-range', 'accept-ranges', 'www-authenticate', 'oci-filters-applied', 'last-modified'];

/** The sync's own requests carry this grant; nothing else a user can obtain does. */
export const isReplication = (ctx: RequestContext): boolean => ctx.auth !== undefined && grants(ctx.auth, 'geo', 'replication', 'write');

/**
 * Runs `local` for the request, or refuses or forwards it as a secondary
 * must. Called by the dispatcher after authorization.
 */
export async function throughGeo(ctx: RequestContext, route: Route, local: () => Promise<void>): Promise<void> {
  const geo = ctx.services.geo;
  const primary = geo?.primaryRegistryUrl();
  if (!geo || primary === undefined || isReplication(ctx) || !('name' in route)) return local();
  const method = ctx.req.method as string;
  if (WRITES.has(method)) throw regErr('DENIED', `this registry is a Geo secondary site and takes no writes: push to the primary registry at ${primary}`);
  if (!READ_KINDS.has(route.kind)) return local();
  const byTag = route.kind === 'tags' || route.kind === 'referrers' || (route.kind === 'manifest' && !route.reference.includes(':'));
  if (byTag && !(await geo.synced(route.name))) return forward(ctx, primary, geo.unsynced);
  try {
    await local();
  } catch (err) {
    if (err instanceof RegistryError && MISSING.has(err.code) && !ctx.res.headersSent) return forward(ctx, primary, geo.unsynced);
    throw err;
  }
}

/** Sends the request on to the primary. */
async function forward(ctx: RequestContext, primary: string, mode: 'proxy' | 'redirect'): Promise<void> {
  const target = `${primary}${ctx.req.url ?? '/'}`;
  ctx.res.setHeader('X-Wharf-Geo', `from-primary; ${mode}`);
  if (mode === 'redirect') {
    ctx.res.writeHead(307, { Location: target, 'Content-Length': '0' }).end();
    return;
  }
  const headers: Record<string, string> = {};
  for (const h of ['authorization', 'accept', 'range', 'if-none-match']) {
    const v = ctx.req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  let upstream: Response;
  try {
    upstream = await fetch(target, { method: ctx.req.method, headers, redirect: 'follow' });
  } catch (err) {
    throw regErr('UNAVAILABLE', `this Geo secondary has not synced the content yet and the primary at ${primary} is not reachable (${(err as Error).message})`);
  }
  const out: Record<string, string> = {};
  for (const h of PASS) {
    const v = upstream.headers.get(h);
    if (v !== null) out[h] = v;
  }
  ctx.res.writeHead(upstream.status, out);
  if (!upstream.body || ctx.req.method === 'HEAD') {
    await upstream.body?.cancel();
    ctx.res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const body = Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream);
    body.once('error', reject);
    ctx.res.once('close', () => {
      body.destroy();
      resolve();
    });
    body.pipe(ctx.res).once('finish', resolve);
  });
}
