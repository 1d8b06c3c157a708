/**
 * Verifies a registry token as Distribution does: issuer trusted, audience the
 * service, expiry and not-before with 60 s of leeway, and a signature by a key
 * of `rootcertbundle` found through the header's `x5c` chain, `jwk` or
 * libtrust `kid`. Only asymmetric algorithms are accepted, so `alg: none` and
 * HS256-with-the-public-key forgeries fail before any key is used.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { TokenClaims } from './claims.js';
import { libtrustKeyId } from './libtrust.js';
import { keyFromChain, type TrustStore } from './trust.js';

/** Leeway on `exp` and `nbf`, as Distribution's. */
export const LEEWAY_SECONDS = 60;

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

/** A token that must be refused; `reason` is for the log, never for the client. */
export class TokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenError';
  }
}

/** What a token must match. */
export interface VerifyOptions {
  readonly trust: TrustStore;
  readonly issuer: string;
  readonly service: string;
  /** For tests: the current time. */
  readonly now?: Date;
}

function signingKey(header: JWTHeaderParameters, trust: TrustStore, now: Date): KeyObject {
  if (header.x5c && header.x5c.length > 0) return keyFromChain(header.x5c, trust, now);
  if (header.jwk) {
    const key = createPublicKey({ key: header.jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const kid = libtrustKeyId(key);
    if (!trust.keys.has(kid)) throw new Error(`untrusted JWK ${kid}`);
    return key;
  }
  if (header.kid) {
    const key = trust.keys.get(header.kid);
    if (!key) throw new Error(`token signed by untrusted key with ID: "${header.kid}"`);
    return key;
  }
  throw new Error('unable to get token signing key');
}

/** Verifies `raw` and returns its claims, or throws TokenError with the reason. */
export async function verifyToken(raw: string, opts: VerifyOptions): Promise<TokenClaims> {
  const now = opts.now ?? new Date();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(raw, (header) => signingKey(header, opts.trust, now), {
      algorithms: ALGORITHMS,
      clockTolerance: LEEWAY_SECONDS,
      currentDate: now,
      requiredClaims: ['exp', 'iss', 'aud'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new TokenError('token has expired');
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') throw new TokenError('token used before its not-before time');
    if (err instanceof errors.JOSEAlgNotAllowed) throw new TokenError(`token algorithm not allowed (${(err as Error).message})`);
    if (err instanceof errors.JWSSignatureVerificationFailed) throw new TokenError('unable to verify token signature');
    throw new TokenError(`invalid token: ${(err as Error).message}`);
  }
  if (payload.iss !== opts.issuer) throw new TokenError(`token from untrusted issuer ${JSON.stringify(payload.iss)} (trusted: ${JSON.stringify(opts.issuer)})`);
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(opts.service)) throw new TokenError(`token intended for another audience ${JSON.stringify(aud)} (accepted: ${JSON.stringify(opts.service)})`);
  const access = Array.isArray(payload.access) ? payload.access : [];
  const wellFormed = access.every((e: unknown) => {
    const a = e as { type?: unknown; name?: unknown; actions?: unknown };
    return typeof a === 'object' && a !== null && typeof a.type === 'string' && typeof a.name === 'string' && Array.isArray(a.actions) && a.actions.every((x) => typeof x === 'string');
  });
  if (!wellFormed) throw new TokenError('malformed access claim');
  return payload as unknown as TokenClaims;
}
