/**
 * Builds the registry's token guard from `auth.token`. With the control plane
 * in the same process, missing keys default to its realm, service, issuer and
 * certificate; without it, each must be set, and a missing one is a
 * ConfigError naming it.
 */
import { readFile } from 'node:fs/promises';
import { createTokenGuard, type TokenAuthSettings, type TokenGuard } from '../auth/guard.js';
import { trustFromPem, type TrustStore } from '../auth/trust.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { ControlPlane } from '../control/control-plane.js';

/** The guard for `auth.token`, or undefined without an `auth` section (an open registry). */
export async function buildTokenGuard(config: Config, controlPlane: ControlPlane | undefined, realmBase: () => string): Promise<TokenGuard | undefined> {
  const token = config.auth?.token;
  if (!token) return undefined;
  const missing = (key: string) => new ConfigError([`auth.token.${key} is required (no control plane runs in this process to default it from)`]);
  let trust: TrustStore;
  if (token.rootcertbundle) {
    const pem = await readFile(token.rootcertbundle, 'utf8').catch((err: Error) => {
      throw new ConfigError([`auth.token.rootcertbundle: cannot read ${token.rootcertbundle}: ${err.message}`]);
    });
    try {
      trust = trustFromPem(pem);
    } catch (err) {
      throw new ConfigError([`auth.token.rootcertbundle: ${(err as Error).message} in ${token.rootcertbundle}`]);
    }
  } else if (controlPlane) {
    trust = trustFromPem((await controlPlane.services.signingKey()).certificatePem);
  } else {
    throw missing('rootcertbundle');
  }
  const service = token.service ?? controlPlane?.services.issuer.service;
  const issuer = token.issuer ?? controlPlane?.services.issuer.issuer;
  if (!service) throw missing('service');
  if (!issuer) throw missing('issuer');
  if (!token.realm && !controlPlane) throw missing('realm');
  const settings: TokenAuthSettings = {
    get realm() {
      return token.realm ?? `${realmBase()}/jwt/auth`;
    },
    service,
    issuer,
    trust,
  };
  return createTokenGuard(settings);
}
