/**
 * Signs registry tokens as GitLab does: RS256 with a libtrust `kid`, claims
 * `iss`, `aud` (the service), `sub`, `iat`, `nbf` (5 s early, for clock skew),
 * `exp`, `jti`, `auth_type` and `access` with per-repository `meta`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AccessEntry } from '../auth/claims.js';
import type { SigningKey } from './signing-key.js';

/** Who the token is for and what it grants. */
export interface TokenRequest {
  readonly subject: string;
  readonly authType: string;
  readonly access: readonly AccessEntry[];
  readonly lifetimeSeconds: number;
}

/** Signs tokens for one issuer and service. */
export class TokenIssuer {
  /** `key` is asked for on first use: generating a key pair takes seconds and many nodes never sign. */
  constructor(
    private readonly key: () => Promise<SigningKey>,
    readonly issuer: string,
    readonly service: string,
  ) {}

  /** A signed token and its times. */
  async issue(req: TokenRequest, now = Date.now()): Promise<{ token: string; issuedAt: Date; expiresIn: number }> {
    const iat = Math.floor(now / 1000);
    const key = await this.key();
    const token = await new SignJWT({ access: req.access, auth_type: req.authType })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer(this.issuer)
      .setAudience(this.service)
      .setSubject(req.subject)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(iat + req.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, issuedAt: new Date(iat * 1000), expiresIn: req.lifetimeSeconds };
  }
}
