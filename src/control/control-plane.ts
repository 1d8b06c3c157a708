/**
 * The control plane's composition: signing key, token issuer, registry
 * client, background jobs, and the request handler for `/jwt/auth` and
 * `/api/v4`. Built by the server from a frozen Config and the database.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/queryer.js';
import type { Logger } from '../observability/logger.js';
import { API_PREFIX, serveApi } from './api/router.js';
import { serveWeb } from '../web/serve.js';
import { createUser } from './identity/users.js';
import { JobRunner } from './jobs/queue.js';
import { serveJwtAuth } from './jwt-auth.js';
import { RegistryClient } from './registry-client.js';
import { registryJobHandlers } from './registry/jobs.js';
import type { ControlPlaneServices } from './services.js';
import { loadSigningKey, type SigningKey } from './signing-key.js';
import { getSettings } from './store/registry-records.js';
import { TokenIssuer } from './token-issuer.js';
import { listUsers } from './store/identity.js';
import { recordRegistryEvents } from './api/events.js';
import { cleanupJobHandler, startCleanupScheduler } from './cleanup/scheduler.js';
import type { RegistryEvent } from '../notifications/event.js';
import type { LocalListener } from '../notifications/notifier.js';
import type { Registry } from 'prom-client';
import { startGeo, type GeoRuntime } from './geo/runtime.js';
import { secretBoxFor } from '../virtual/credentials.js';

/** A running control plane. */
export interface ControlPlane {
  readonly services: ControlPlaneServices;
  /** Serves the request when its path is the control plane's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Receives registry events in-process (the registry in the same process): pushes for container repository records; on a Geo primary, deletes and renames too. */
  readonly eventListener: LocalListener;
  /** Geo, when `geo.role` is set. */
  readonly geo?: GeoRuntime | undefined;
  close(): Promise<void>;
}

/** Where things are that are only known once the node listens. */
export interface ControlPlaneUrls {
  /** The registry the control plane calls. */
  registryUrl(): string;
  /** The registry host users see. */
  registryHost(): string;
}

/** Where generated keys live: under the filesystem root, or a temporary directory with in-memory storage. */
export function keyDirectory(config: Config): string {
  const root = config.storage.filesystem?.rootdirectory;
  return root ? join(root, 'wharf', 'auth') : join(tmpdir(), `wharf-auth-${process.pid}`);
}

/**
 * Creates the first admin on an empty install when `rootPassword` is given
 * (`WHARF_ROOT_PASSWORD`, as GitLab's `GITLAB_ROOT_PASSWORD`): user `root`.
 */
async function bootstrapRoot(db: Database, rootPassword: string | undefined, log: Logger): Promise<void> {
  if (!rootPassword) return;
  if ((await listUsers(db, 1, 0)).rows.length > 0) return;
  await createUser(db, { username: 'root', password: rootPassword, admin: true, name: 'Administrator' }).then(
    () => log.info('created the first admin, root, from WHARF_ROOT_PASSWORD'),
    (err: Error) => log.error({ err: err.message }, 'could not create the first admin from WHARF_ROOT_PASSWORD'),
  );
}

/** Builds and starts the control plane over `db`. */
export async function startControlPlane(
  config: Config,
  db: Database,
  log: Logger,
  urls: ControlPlaneUrls,
  opts: { rootPassword?: string | undefined; runJobs?: boolean; geoLoops?: boolean; metrics?: Registry | undefined } = {},
): Promise<ControlPlane> {
  const cp = config.controlplane;
  let key: Promise<SigningKey> | undefined;
  const signingKey = () => (key ??= loadSigningKey({ key: cp.key, certificate: cp.certificate, dir: keyDirectory(config) }));
  const issuer = new TokenIssuer(signingKey, cp.issuer, cp.service);
  const registry = new RegistryClient(() => urls.registryUrl(), issuer);
  // Geo's loops run in one process per node (the first worker); every process serves its API and records its events.
  const geo = config.geo.role === 'none' ? undefined : await startGeo(config, db, issuer, log, () => urls.registryUrl(), { runLoops: opts.runJobs !== false && opts.geoLoops !== false, metrics: opts.metrics });
  const services: ControlPlaneServices = {
    geo,
    // Not under the key directory: a directory there means "keys exist" to loadSigningKey.
    secretBox: secretBoxFor(config.http.secret, join(keyDirectory(config), '..', 'secrets')),
    config,
    db,
    signingKey,
    issuer,
    registry,
    log: log.child({ component: 'control-plane' }),
    async registryHost() {
      const s = await getSettings(db);
      if (s.container_registry_host) return s.container_registry_port ? `${s.container_registry_host}:${s.container_registry_port}` : s.container_registry_host;
      return urls.registryHost();
    },
  };
  await bootstrapRoot(db, opts.rootPassword, services.log);
  const handlers = { ...registryJobHandlers(db, registry), ...cleanupJobHandler(db, registry, services.log) };
  const jobs = new JobRunner(db, handlers, { log: services.log, intervalMs: cp.jobinterval, backoffBaseMs: cp.jobbackoff });
  let stopScheduler = () => undefined as void;
  if (opts.runJobs !== false) {
    jobs.start();
    stopScheduler = startCleanupScheduler(db, services.log, Math.max(cp.jobinterval, 1000));
  }

  return {
    services,
    geo,
    eventListener: {
      // Never pulls (the hot path); deletes and renames only for Geo's event log.
      actions: new Set<RegistryEvent['action']>(geo ? ['push', 'delete', 'rename'] : ['push']),
      async receive(events) {
        const pushes = events.filter((e) => e.action === 'push' && e.target.tag !== undefined);
        if (pushes.length > 0) await recordRegistryEvents(db, pushes);
        await geo?.recordEvents(events);
      },
    },
    handle(req, res, path) {
      if (path === '/jwt/auth') {
        serveJwtAuth(req, res, services).catch((err: Error) => {
          const unavailable = err?.name === 'DatabaseUnavailableError';
          if (unavailable) services.log.warn({ err: err.message }, 'token request failed: the database is unavailable');
          else services.log.error({ err }, 'token request failed');
          if (res.headersSent) {
            if (!res.writableEnded) res.destroy();
          } else if (unavailable) {
            res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `${err.message}; retry later`, detail: null }] }));
          } else res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNKNOWN","message":"internal error"}]}');
        });
        return true;
      }
      if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
        void serveApi(req, res, services);
        return true;
      }
      // The admin page (`/admin/`, and `/` redirected there): static files that call /api/v4.
      return serveWeb(req, res, path);
    },
    async close() {
      stopScheduler();
      await jobs.stop();
      await geo?.close();
    },
  };
}
