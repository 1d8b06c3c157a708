/**
 * The Google Cloud Storage client of the `gcs` driver: credentials from
 * `keyfile`, inline `credentials` or Application Default Credentials, the
 * SDK's retries on transient errors, and the mapping of its errors to the
 * driver's.
 */
import { readFileSync } from 'node:fs';
import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../config/load.js';
import { PathNotFoundError, StorageUnavailableError } from '../driver.js';

/** `storage.gcs`. */
export type GcsConfig = NonNullable<Config['storage']['gcs']>;

/** The service-account (or other) credentials JSON, read at start-up so a bad file fails there. */
function loadCredentials(cfg: GcsConfig, configKey: string): Record<string, unknown> | undefined {
  if (cfg.credentials) return cfg.credentials;
  if (!cfg.keyfile) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(cfg.keyfile, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${configKey}.keyfile: cannot read ${cfg.keyfile}: ${(err as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') {
    throw new ConfigError([`${configKey}.keyfile: ${cfg.keyfile} is not a Google credentials file (JSON with a "type")`]);
  }
  return parsed as Record<string, unknown>;
}

/** Creates the SDK client. */
export function gcsClient(cfg: GcsConfig, configKey: string): Storage {
  const credentials = loadCredentials(cfg, configKey);
  const projectId = typeof credentials?.project_id === 'string' ? credentials.project_id : undefined;
  return new Storage({
    ...(credentials ? { credentials } : {}),
    ...(projectId ? { projectId } : {}),
    ...(cfg.endpoint ? { apiEndpoint: cfg.endpoint.replace(/\/+$/, ''), useAuthWithCustomEndpoint: !cfg.noauth } : {}),
    retryOptions: {
      autoRetry: cfg.maxretries > 0,
      maxRetries: cfg.maxretries,
      // Every request the driver sends is safe to repeat: parts have unique
      // names, composes and copies give the same result, and deletes ignore 404.
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  });
}

/** The HTTP status of an SDK error, when it has one. */
export const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
};

/** Maps SDK errors: 404 → PathNotFoundError; 429, 5xx and network failures → StorageUnavailableError. */
export function mapGcsError(err: unknown, path: string): unknown {
  const status = statusOf(err);
  if (status === 404) return new PathNotFoundError(path);
  if (status === undefined || status >= 500 || status === 429) return new StorageUnavailableError(`gcs: ${(err as Error).message}`);
  return err;
}
