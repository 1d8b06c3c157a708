/**
 * Personal access and deploy tokens: random, prefixed so they are recognisable
 * in logs and secret scanners (`wharfpat-`, `wharfdt-`), and stored only as
 * their SHA-256 digest (they are high-entropy, so a fast hash is enough).
 * Also the timing-safe comparison used for shared secrets.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of personal access tokens. */
export const PAT_PREFIX = 'wharfpat-';
/** Prefix of deploy tokens. */
export const DEPLOY_TOKEN_PREFIX = 'wharfdt-';

/** A new random token with `prefix`. */
export function newToken(prefix: string): string {
  return prefix + randomBytes(24).toString('base64url');
}

/** The stored digest of a token. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
