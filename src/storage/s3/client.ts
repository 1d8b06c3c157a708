/**
 * The S3 client of the `s3` driver from its config: static keys or the SDK's
 * default credential chain, path-style URLs for S3-compatible endpoints, the
 * SDK's standard retry mode (backoff on 503 SlowDown, throttling and network
 * errors, `maxretries` retries), keep-alive sockets, optional TLS without
 * verification, and the additional checksums off with `checksum_disabled`.
 */
import { Agent as HttpsAgent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../../config/load.js';

/** The `storage.s3` section. */
export type S3Config = NonNullable<Config['storage']['s3']>;

/** Builds the client; `key` names the config section in errors (`storage.s3` or `storage.s3_v2`). */
export function s3Client(cfg: S3Config, key: string): S3Client {
  if (!cfg.v4auth) throw new ConfigError([`${key}.v4auth: only signature version 4 is supported`]);
  if ((cfg.accesskey === undefined) !== (cfg.secretkey === undefined)) throw new ConfigError([`${key}.accesskey and ${key}.secretkey must be set together (or both left out for the default credential chain)`]);
  const endpoint = cfg.regionendpoint ?? (cfg.secure ? undefined : `http://s3.${cfg.region}.amazonaws.com`);
  return new S3Client({
    region: cfg.region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: cfg.pathstyle ?? cfg.regionendpoint !== undefined,
    ...(cfg.accesskey && cfg.secretkey ? { credentials: { accessKeyId: cfg.accesskey, secretAccessKey: cfg.secretkey, ...(cfg.sessiontoken ? { sessionToken: cfg.sessiontoken } : {}) } } : {}),
    maxAttempts: cfg.maxretries + 1,
    retryMode: 'standard',
    ...(cfg.checksum_disabled ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256, rejectUnauthorized: !cfg.skipverify }),
      connectionTimeout: 10_000,
      requestTimeout: 0,
    }),
  });
}

/** A token bucket for `maxrequestspersecond` (0: no limit). */
export function rateLimiter(perSecond: number): () => Promise<void> {
  if (perSecond <= 0) return async () => undefined;
  let tokens = perSecond;
  let last = Date.now();
  let queue: Promise<void> = Promise.resolve();
  return () => {
    queue = queue.then(async () => {
      for (;;) {
        const now = Date.now();
        tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
        last = now;
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        await new Promise((r) => setTimeout(r, Math.ceil(((1 - tokens) / perSecond) * 1000)));
      }
    });
    return queue;
  };
}
