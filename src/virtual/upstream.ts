/**
 * Talks to one upstream registry (SPEC 8.3): anonymous, Basic, or the
 * Docker token flow against the realm its 401 names (with the upstream's
 * credentials when set), tokens cached per scope until they expire. Docker
 * Hub's single-segment names get `library/`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { regErr } from '../oci/errors.js';

/** An upstream's address and credentials (password already decrypted). */
export interface UpstreamTarget {
  readonly id: number;
  readonly url: string;
  readonly username: string | null;
  readonly password: string | null;
}

/** Why an upstream could not answer (connection refused, timeout, 5xx, 429): the stale copy may be served. */
export class UpstreamUnavailable extends Error {}

const tokens = new Map<string, { token: string; until: number }>();

const isDockerHub = (u: URL) => /(^|\.)docker\.io$/.test(u.hostname);

/** The upstream's name for an image. */
export function upstreamImage(target: UpstreamTarget, image: string): string {
  return isDockerHub(new URL(target.url)) && !image.includes('/') ? `library/${image}` : image;
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] as string).matchAll(/(\w+)="([^"]*)"/g)) params[p[1] as string] = p[2] as string;
  return { scheme: (m[1] as string).toLowerCase(), params };
}

const basicOf = (t: UpstreamTarget) => (t.username && t.password !== null ? `Basic ${Buffer.from(`${t.username}:${t.password}`).toString('base64')}` : undefined);

async function bearer(target: UpstreamTarget, params: Record<string, string>, signal: AbortSignal): Promise<string> {
  const key = `${target.id} ${params.realm} ${params.service} ${params.scope}`;
  const hit = tokens.get(key);
  if (hit && hit.until > Date.now()) return hit.token;
  const realm = new URL(params.realm as string);
  if (params.service) realm.searchParams.set('service', params.service);
  if (params.scope) realm.searchParams.set('scope', params.scope);
  const basic = basicOf(target);
  let res: Response;
  try {
    res = await fetch(realm, { headers: basic ? { Authorization: basic } : {}, signal });
  } catch (err) {
    throw new UpstreamUnavailable(`the token service of upstream ${target.url} did not answer (${(err as Error).message})`);
  }
  if (res.status >= 500 || res.status === 429) throw new UpstreamUnavailable(`the token service of upstream ${target.url} answered ${res.status}`);
  if (!res.ok) throw regErr('DENIED', `the token service of upstream ${target.url} refused this registry (${res.status}): check the upstream's username and password`);
  const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error("the upstream's token service gave no token");
  // Refreshed 30 s early; 60 s when the service gives no lifetime (the spec's default).
  tokens.set(key, { token, until: Date.now() + Math.max(0, (body.expires_in ?? 60) - 30) * 1000 });
  if (tokens.size > 10_000) tokens.clear();
  return token;
}

/** A request to the upstream, authenticated as its challenge asks; connection failures, 5xx and 429 throw UpstreamUnavailable. */
export async function upstreamFetch(target: UpstreamTarget, method: string, path: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Response> {
  const url = `${target.url.replace(/\/+$/, '')}${path}`;
  const signal = AbortSignal.timeout(timeoutMs);
  const send = async (auth?: string) => {
    try {
      return await fetch(url, { method, headers: { ...headers, ...(auth ? { Authorization: auth } : {}) }, signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new UpstreamUnavailable(`upstream ${target.url} did not answer (${cause?.code ?? (err as Error).message})`);
    }
  };
  let res = await send(basicOf(target));
  if (res.status === 401) {
    const c = challenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    if (c?.scheme === 'bearer' && c.params.realm) res = await send(`Bearer ${await bearer(target, c.params, signal)}`);
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel();
    throw new UpstreamUnavailable(`upstream ${target.url} answered ${res.status}`);
  }
  return res;
}

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^0\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./];
/** True for loopback, link-local, private and unspecified addresses (IPv4 and IPv6). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) return PRIVATE_V4.some((r) => r.test(ip));
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::1' || v6 === '::' || v6.startsWith('fe80:') || v6.startsWith('fc') || v6.startsWith('fd');
}

/** Refuses an upstream URL that is not http(s) or whose host resolves to a private address (SSRF), unless allowed. */
export async function checkUpstreamUrl(raw: string, allowPrivate: boolean): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url is not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'url must be http or https';
  if (u.username || u.password) return 'url must not carry credentials (use username and password)';
  if (allowPrivate) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (a) => a.map((x) => x.address),
        () => [] as string[],
      );
  if (addresses.length === 0) return `url host ${host} does not resolve`;
  if (addresses.some(isPrivateAddress)) return `url points at a local or private address (${host}); set virtual_registries.allow_private_upstreams to allow it`;
  return undefined;
}
