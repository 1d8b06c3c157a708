/** What the control plane's handlers share, built once by `control-plane.ts`. */
import type { Config } from '../config/schema.js';
import type { Database } from '../db/queryer.js';
import type { Logger } from '../observability/logger.js';
import type { RegistryClient } from './registry-client.js';
import type { SigningKey } from './signing-key.js';
import type { TokenIssuer } from './token-issuer.js';
import type { GeoRuntime } from './geo/runtime.js';
import type { SecretBox } from '../virtual/credentials.js';

/** The control plane's services. */
export interface ControlPlaneServices {
  readonly config: Config;
  readonly db: Database;
  /** The signing key (loaded or generated on first use). */
  signingKey(): Promise<SigningKey>;
  readonly issuer: TokenIssuer;
  readonly registry: RegistryClient;
  readonly log: Logger;
  /** The registry host users see (`host[:port]`), for image locations. */
  registryHost(): Promise<string>;
  /** Seals upstream passwords of virtual registries (virtual/credentials.ts). */
  readonly secretBox: SecretBox;
  /** Geo, when `geo.role` is set. */
  readonly geo?: GeoRuntime | undefined;
}
