/**
 * What a handler gets: the request and response, the matched route, the
 * services of the data plane, and a logger carrying the request id.
 */
import type { GeoHook } from './geo.js';
import type { VirtualHook } from './virtual.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/schema.js';
import type { BlobContent } from '../core/blob-content.js';
import type { ManifestService } from '../core/manifests.js';
import type { UploadService } from '../core/uploads.js';
import type { MetadataStore } from '../metadata/store.js';
import type { GitlabMetadata } from '../metadata/gitlab.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { regErr } from '../oci/errors.js';
import type { TokenGuard } from '../auth/guard.js';
import type { TokenClaims } from '../auth/claims.js';
import type { Notifier } from '../notifications/notifier.js';
import type { EventSource } from '../notifications/event.js';

/** The data-plane services the handlers call. */
export interface RegistryServices {
  readonly config: Config;
  readonly metadata: MetadataStore;
  readonly content: BlobContent;
  readonly manifests: ManifestService;
  readonly uploads: UploadService;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** What the `/gitlab/v1` API reads and renames, in database mode. */
  readonly gitlab?: GitlabMetadata | undefined;
  /** Token auth (`auth.token`); absent, the registry is open. */
  readonly auth?: TokenGuard | undefined;
  /** Notifications (`notifications.endpoints`), when any endpoint is configured. */
  readonly notifier?: Notifier | undefined;
  /** This node, as events name their source. */
  readonly eventSource?: EventSource | undefined;
  /** Geo's hook (control/geo), when `geo.role` is set: refusals and forwarding on a secondary. */
  readonly geo?: GeoHook | undefined;
  /** Container virtual registries (virtual/), in database mode with the control plane. */
  readonly virtual?: VirtualHook | undefined;
}

/** One request in flight. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly services: RegistryServices;
  readonly log: Logger;
  /** The request id (`X-Request-Id`). */
  readonly requestId: string;
  /** The verified token of the request, under token auth. */
  auth?: TokenClaims | undefined;
}

/**
 * A URL the registry hands out (Location, Link) for an API path: behind
 * `http.prefix`, and absolute on `http.host` when that is set (unless
 * `http.relativeurls`).
 */
export function urlFor(ctx: RequestContext, path: string): string {
  const { host, prefix, relativeurls } = ctx.services.config.http;
  const full = prefix.replace(/\/+$/, '') + path;
  return host && !relativeurls ? new URL(full, host).toString() : full;
}

/** Throws UNSUPPORTED when deletes are disabled (`storage.delete.enabled: false`). */
export function assertDeleteEnabled(ctx: RequestContext): void {
  if (!ctx.services.config.storage.delete.enabled) {
    throw regErr('UNSUPPORTED', 'deletes are disabled (storage.delete.enabled is false)');
  }
}

/** Sends a response without body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}, contentType = 'application/json'): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length });
  res.end(data);
}
