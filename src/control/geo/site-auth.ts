/**
 * Trust between sites (SPEC 7.1): every site signs with the same key pair,
 * issuer and service, so a site proves itself to another with a short-lived
 * JWT (subject `geo:<site>`, access `geo:site:replicate`), and a secondary
 * pulls from the primary's registry with a pull-only token it signs itself,
 * as GitLab's secondaries do. A site with another key is refused: the
 * receiving side names it "untrusted issuer", the words GitLab's registry uses.
 */
import type { IncomingMessage } from 'node:http';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { AccessEntry } from '../../auth/claims.js';
import type { SigningKey } from '../signing-key.js';
import type { TokenIssuer } from '../token-issuer.js';

/** Tokens live 10 minutes (seed 000: short-lived); reused for 5. */
const LIFETIME_SECONDS = 600;
const REUSE_MS = 300_000;

/** The grant a site-to-site call carries. */
export const SITE_ACCESS: AccessEntry = { type: 'geo', name: 'site', actions: ['replicate'] };
/** The grant that lets the sync write to its own (secondary) registry, which refuses every other write. */
export const REPLICATION_WRITE: AccessEntry = { type: 'geo', name: 'replication', actions: ['write'] };

/** Signs and caches the tokens one site uses. */
export class SiteTokens {
  private readonly cache = new Map<string, { token: string; until: number }>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly siteName: () => string,
  ) {}

  private async get(key: string, access: AccessEntry[]): Promise<string> {
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const { token } = await this.issuer.issue({ subject: `geo:${this.siteName()}`, authType: 'geo', access, lifetimeSeconds: LIFETIME_SECONDS });
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { token, until: Date.now() + REUSE_MS });
    return token;
  }

  /** For the other sites' `/api/v4/geo/site/*` endpoints. */
  site(): Promise<string> {
    return this.get('site', [SITE_ACCESS]);
  }

  /** Pull-only, one repository: what the secondary shows the primary's registry. */
  pull(path: string): Promise<string> {
    return this.get(`pull ${path}`, [{ type: 'repository', name: path, actions: ['pull'] }]);
  }

  /** The primary's catalog, for a backfill. */
  catalog(): Promise<string> {
    return this.get('catalog', [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  }

  /** Writes to this site's own registry (the sync), one repository. */
  write(path: string): Promise<string> {
    return this.get(`write ${path}`, [{ type: 'repository', name: path, actions: ['pull', 'push', 'delete'] }, REPLICATION_WRITE]);
  }
}

/** Why a site token was refused. */
export class SiteAuthError extends Error {}

/** Verifies a site-to-site call's bearer token; returns the calling site's name. */
export async function verifySiteCall(req: IncomingMessage, key: SigningKey, issuer: string, service: string): Promise<string> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new SiteAuthError('a Geo site token is required (Authorization: Bearer)');
  try {
    const { payload } = await jwtVerify(m[1] as string, key.certificate.publicKey, { issuer, audience: service, algorithms: ['RS256'], clockTolerance: 30 });
    const access = Array.isArray(payload.access) ? (payload.access as AccessEntry[]) : [];
    const ok = access.some((a) => a.type === SITE_ACCESS.type && a.name === SITE_ACCESS.name && a.actions?.includes('replicate'));
    if (!ok || typeof payload.sub !== 'string' || !payload.sub.startsWith('geo:')) throw new SiteAuthError('the token does not grant Geo replication');
    return payload.sub.slice(4);
  } catch (err) {
    if (err instanceof SiteAuthError) throw err;
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new SiteAuthError("token from untrusted issuer: its signature does not match this site's key (the sites must share one signing key pair)");
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new SiteAuthError(`token from untrusted issuer: ${err.message} (the sites must share issuer and service)`);
    throw new SiteAuthError(`invalid Geo site token: ${(err as Error).message}`);
  }
}
