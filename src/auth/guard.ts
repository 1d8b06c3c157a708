/**
 * The registry side of token auth (SPEC 1.8): reads `Authorization: Bearer`,
 * verifies the token (verified tokens are remembered until they expire, so a
 * pull does not pay an RSA verification per request), and refuses a request
 * whose token does not grant what it needs with 401 and a challenge naming
 * the realm, service and scope, as Distribution does.
 */
import { LRUCache } from 'lru-cache';
import { regErr } from '../oci/errors.js';
import type { Logger } from '../observability/logger.js';
import { grants, type TokenClaims } from './claims.js';
import { formatScope, type Scope } from './scope.js';
import type { TrustStore } from './trust.js';
import { TokenError, verifyToken } from './verify.js';

/** What the registry checks tokens against (`auth.token`). */
export interface TokenAuthSettings {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly trust: TrustStore;
}

/** Checks requests against their bearer token. */
export interface TokenGuard {
  /** The claims of the request's token when it grants every scope of `needed`; otherwise throws UNAUTHORIZED with a challenge set on `res`. */
  authorize(req: { headers: { authorization?: string | undefined } }, res: { setHeader(name: string, value: string): unknown }, needed: readonly Scope[], log: Logger): Promise<TokenClaims>;
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;

/** Creates the guard for `auth.token`. */
export function createTokenGuard(settings: TokenAuthSettings): TokenGuard {
  const verified = new LRUCache<string, TokenClaims>({ max: 10_000 });

  async function claimsOf(raw: string): Promise<TokenClaims> {
    const cached = verified.get(raw);
    // A remembered token is still re-checked for expiry (with the same leeway).
    if (cached && cached.exp + 60 >= Date.now() / 1000) return cached;
    const claims = await verifyToken(raw, settings);
    verified.set(raw, claims, { ttl: Math.max(1, (claims.exp + 60) * 1000 - Date.now()) });
    return claims;
  }

  const bearer = (header: string | undefined): string | undefined => {
    const m = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header) : null;
    return m?.[1];
  };

  return {
    async authorize(req, res, needed, log) {
      const challenge = (error?: string) => {
        const parts = [`realm=${quote(settings.realm)}`, `service=${quote(settings.service)}`];
        if (needed.length > 0) parts.push(`scope=${quote(needed.map(formatScope).join(' '))}`);
        if (error) parts.push(`error=${quote(error)}`);
        res.setHeader('WWW-Authenticate', `Bearer ${parts.join(',')}`);
      };
      const raw = bearer(req.headers.authorization);
      if (!raw) {
        challenge();
        throw regErr(
          'UNAUTHORIZED',
          'authentication required',
          needed.map((s) => ({ Type: s.type, Name: s.name, Action: s.actions.join(',') })),
        );
      }
      let claims: TokenClaims;
      try {
        claims = await claimsOf(raw);
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        log.warn({ reason: err.reason }, 'token refused');
        challenge('invalid_token');
        throw regErr('UNAUTHORIZED', 'authentication required', 'invalid token');
      }
      const missing = needed.filter((s) => !s.actions.every((a) => grants(claims, s.type, s.name, a)));
      if (missing.length > 0) {
        challenge('insufficient_scope');
        throw regErr(
          'UNAUTHORIZED',
          'authentication required',
          missing.map((s) => ({ Type: s.type, Name: s.name, Action: s.actions.join(',') })),
        );
      }
      return claims;
    },
  };
}
