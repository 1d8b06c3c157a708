/**
 * The composition root of a registry node: builds storage, metadata,
 * services and the HTTP(S) server from a frozen Config.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { ConfigError } from '../config/load.js';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import { BlobContent } from '../core/blob-content.js';
import { ManifestService } from '../core/manifests.js';
import { UploadService } from '../core/uploads.js';
import { schedulePurges } from '../maintenance/upload-purge.js';
import { createMetadataBackend } from '../metadata/factory.js';
import { startOnlineGc } from '../gc/online-gc.js';
import { allHealthChecks, startHealthChecks, type HealthChecker, type HealthProbe } from '../observability/health.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createRegistryListener } from '../registry/app.js';
import { createDebugListener, type MetricsExporter } from '../observability/endpoints.js';
import { clusterMetricsSource, isClusterWorker, workerIndex } from './cluster.js';
import type { RegistryServices } from '../registry/context.js';
import { createStorageDriver } from '../storage/factory.js';
import { startControlPlane, type ControlPlane } from '../control/control-plane.js';
import { buildTokenGuard } from './token-auth.js';
import { createNotifier } from '../notifications/factory.js';
import type { Notifier } from '../notifications/notifier.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StorageDriver } from '../storage/driver.js';
import type { Database } from '../db/queryer.js';
import { virtualHook } from '../virtual/hook.js';

/** A running registry node. */
export interface RegistryNode {
  readonly server: Server;
  readonly services: RegistryServices;
  readonly driver: StorageDriver;
  /** The metadata database, in database mode (the control plane, GC and notifications use it). */
  readonly database?: Database | undefined;
  /** `http://host:port` the node listens on. */
  readonly url: string;
  /** `http://host:port` of the debug listener, when `http.debug.addr` is set. */
  readonly debugUrl?: string | undefined;
  /** The control plane, when it runs in this process. */
  readonly controlPlane?: ControlPlane | undefined;
  /** Where the control plane listens (this node's url unless `controlplane.addr`). */
  readonly controlPlaneUrl?: string | undefined;
  close(): Promise<void>;
}

/** Options that are not configuration (tests inject a logger or a driver). */
export interface NodeOptions {
  readonly log?: Logger;
  readonly driver?: StorageDriver;
  readonly metrics?: Metrics;
  /** Password of the first admin (`root`) to create on an empty install (`WHARF_ROOT_PASSWORD`). */
  readonly rootPassword?: string | undefined;
}

/** Builds the services of the data plane. */
export async function buildServices(config: Config, opts: NodeOptions = {}): Promise<{ services: RegistryServices; driver: StorageDriver; database: Database | undefined; closeMetadata: () => Promise<void> }> {
  const log = opts.log ?? createLogger(config.log);
  const metrics = opts.metrics ?? createMetrics();
  const driver = opts.driver ?? (await createStorageDriver(config.storage, metrics));
  const {
    store: metadata,
    database,
    gitlab,
    close: closeMetadata,
  } = await createMetadataBackend(config, driver, metrics.registry, {
    warn: (msg) => log.warn(msg),
    error: (msg) => log.error(msg),
    info: (msg) => log.info(msg),
  });
  const content = new BlobContent(driver);
  const v = config.validation;
  const manifests = new ManifestService(metadata, content, {
    schema1: config.compatibility.schema1.enabled,
    urls: { allow: v.manifests.urls.allow.map((p) => new RegExp(p)), deny: v.manifests.urls.deny.map((p) => new RegExp(p)) },
    skipReferenceCheck: v.disabled || v.enabled === false,
    referenceLimit: v.manifests.referencelimit,
  });
  const uploads = new UploadService(driver, content, metadata);
  return { services: { config, metadata, content, manifests, uploads, metrics, log, gitlab }, driver, database, closeMetadata };
}

/** The metadata database's health: a `SELECT 1`, and at once what the pool saw on its last query. */
function databaseProbe(database: Database): HealthProbe {
  return {
    name: 'database',
    check: async () => {
      await database.query('health_check', 'SELECT 1');
    },
    failing: () => (database.health.up ? undefined : `the metadata database is unavailable: ${database.health.reason ?? 'unknown reason'}`),
  };
}

/** Starts the `http.debug.addr` server (health, and metrics when `prometheus.enabled`), if configured. */
async function startDebugServer(config: Config, health: HealthChecker, exportMetrics: MetricsExporter): Promise<Server | undefined> {
  const debug = config.http.debug;
  if (!debug?.addr) return undefined;
  const metricsPath = debug.prometheus.enabled ? debug.prometheus.path : '\0disabled';
  const server = createHttpServer(createDebugListener(health, exportMetrics, metricsPath));
  const { host, port } = splitAddr(debug.addr);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

/** Reads the files `http.tls` names; an unreadable one is a ConfigError naming its key. */
function tlsOptions(tls: NonNullable<Config['http']['tls']>): HttpsServerOptions {
  const read = (key: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError([`http.tls.${key}: cannot read ${file}: ${(err as Error).message}`]);
    }
  };
  const clientCAs = tls.clientcas?.map((f, i) => read(`clientcas[${i}]`, f));
  return {
    cert: read('certificate', tls.certificate),
    key: read('key', tls.key),
    minVersion: tls.minimumtls === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2',
    // With clientcas, clients must present a certificate signed by one of them (mutual TLS), as in Distribution.
    ...(clientCAs && clientCAs.length > 0 ? { ca: clientCAs, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/** The URL a listening server answers on. */
function urlOf(server: Server, tls: boolean): string {
  const address = server.address();
  if (typeof address !== 'object' || !address) return String(address);
  const host = (address as AddressInfo).address.includes(':') ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}

function listen(server: Server, addr: string): Promise<void> {
  const { host, port } = splitAddr(addr);
  return new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
}

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(addr.slice(i + 1)) };
}

/** Starts a registry node listening on `http.addr` (and the control plane, unless disabled). */
export async function startRegistryNode(config: Config, opts: NodeOptions = {}): Promise<RegistryNode> {
  const built = await buildServices(config, opts);
  const { driver, database, closeMetadata } = built;
  const { log, metrics } = built.services;
  const cpConfig = config.controlplane;
  const standalone = cpConfig.standalone;
  const tls = config.http.tls;
  let selfUrl = '';
  let cpUrl = '';
  let controlPlane: ControlPlane | undefined;
  let cpServer: Server | undefined;
  let server: Server | undefined;
  let health: HealthChecker | undefined;
  let stopPurge: () => void = () => undefined;
  let debug: Server | undefined;
  let stopGc: () => Promise<void> = async () => undefined;
  let notifier: Notifier | undefined;
  const closeServer = (s: Server | undefined) => (s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve());

  try {
    if (cpConfig.enabled ?? config.database.enabled) {
      if (!database) throw new ConfigError(['controlplane.enabled: the control plane keeps its data in the metadata database; set database.enabled: true (or controlplane.enabled: false)']);
      const publicBase = () => (cpConfig.externalurl ?? config.http.host ?? (cpConfig.addr ? cpUrl : selfUrl)).replace(/\/+$/, '');
      controlPlane = await startControlPlane(
        config,
        database,
        log,
        {
          registryUrl: () => (cpConfig.registryurl ?? selfUrl).replace(/\/+$/, ''),
          registryHost: () => new URL(config.http.host ?? (selfUrl || publicBase())).host,
        },
        { rootPassword: opts.rootPassword, geoLoops: workerIndex() === 0, metrics: metrics.registry },
      );
    } else if (standalone) {
      throw new ConfigError(['controlplane.standalone: the control plane is disabled (controlplane.enabled: false)']);
    }
    const realmBase = () => (cpConfig.externalurl ?? (cpConfig.addr ? cpUrl : (config.http.host ?? selfUrl))).replace(/\/+$/, '');
    const auth = standalone ? undefined : await buildTokenGuard(config, controlPlane, realmBase);
    // With the control plane in this process, push events reach it directly (no endpoint to configure).
    const local = controlPlane && !standalone ? [controlPlane.eventListener] : [];
    notifier = standalone ? undefined : createNotifier(config, database, metrics.registry, log, workerIndex(), local);
    const instance = database ? await database.query<{ id: string }>('registry_instance', 'SELECT id FROM registry_instance LIMIT 1') : [];
    // Filled in once the node listens (the port is not known before).
    const eventSource = { addr: hostname(), instanceID: instance[0]?.id ?? randomUUID() };
    const geoRuntime = controlPlane?.geo;
    const geo = geoRuntime
      ? {
          primaryRegistryUrl: () => (geoRuntime.site.current.role === 'secondary' ? geoRuntime.site.current.primary?.registryUrl : undefined),
          unsynced: config.geo.secondary.unsynced,
          synced: (path: string) => geoRuntime.synced(path),
        }
      : undefined;
    // Virtual registries need the database (their tables) and the control plane (their API and tokens).
    const virtual = database && controlPlane ? virtualHook(database, built.services.content, driver, controlPlane.services.secretBox, metrics.registry) : undefined;
    const services: RegistryServices = { ...built.services, auth, notifier, eventSource, geo, virtual };

    if (!standalone) await driver.health();
    const checks = [startHealthChecks({ name: `storagedriver_${driver.name}`, check: () => driver.health() }, config.health.storagedriver)];
    if (database) checks.push(startHealthChecks(databaseProbe(database), config.health.database));
    health = allHealthChecks(checks);
    const exportMetrics: MetricsExporter = isClusterWorker() ? clusterMetricsSource(metrics.registry) : async () => ({ text: await metrics.registry.metrics(), contentType: metrics.registry.contentType });
    const registryListener = standalone ? undefined : createRegistryListener(services, health, exportMetrics);
    const cp = controlPlane;
    const shared = cp && !cpConfig.addr ? cp : undefined;
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      if (shared) {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        if (shared.handle(req, res, q === -1 ? url : url.slice(0, q))) return;
      }
      if (registryListener) registryListener(req, res);
      else res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    };
    server = tls ? createHttpsServer(tlsOptions(tls), listener) : createHttpServer(listener);
    server.keepAliveTimeout = 75_000;
    server.headersTimeout = 80_000;
    server.requestTimeout = 0;
    if (config.http.net === 'unix') {
      const s = server;
      await new Promise<void>((resolve, reject) => s.once('error', reject).listen(config.http.addr, resolve));
    } else {
      await listen(server, config.http.addr);
    }
    selfUrl = urlOf(server, Boolean(tls));
    if (config.http.net !== 'unix') eventSource.addr = `${hostname()}:${new URL(selfUrl).port}`;
    notifier?.start();
    if (cp && cpConfig.addr) {
      cpServer = createHttpServer((req, res) => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        if (!cp.handle(req, res, q === -1 ? url : url.slice(0, q))) res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      });
      await listen(cpServer, cpConfig.addr);
      cpUrl = urlOf(cpServer, false);
    }
    // One purger per node: in a cluster only the first worker runs it.
    const purging = !standalone && config.storage.maintenance.uploadpurging.enabled && !config.storage.maintenance.readonly.enabled && workerIndex() === 0;
    if (purging) stopPurge = schedulePurges(driver, config.storage.maintenance.uploadpurging, log);
    debug = await startDebugServer(config, health, exportMetrics);
    if (database && !standalone) stopGc = await startOnlineGc(config, database, driver, log, metrics.registry);
    log.info(
      { url: selfUrl, storage: driver.name, metadata: services.metadata.mode, readOnly: config.storage.maintenance.readonly.enabled, controlPlane: cp ? cpUrl || selfUrl : undefined, standalone },
      standalone ? 'control plane listening' : 'registry listening',
    );
    if (workerIndex() === 0) {
      if (!auth && !standalone) log.warn('no auth section is configured: the registry is open to anyone who can reach it');
      if (!config.http.secret) log.warn('http.secret is not set; set the same secret on every node behind a load balancer');
    }
    const debugAddress = debug?.address();
    const debugUrl = debugAddress && typeof debugAddress === 'object' ? `http://${debugAddress.address}:${debugAddress.port}` : undefined;
    const running = server;
    const runningHealth = health;
    return {
      server: running,
      services,
      driver,
      database,
      url: selfUrl,
      debugUrl,
      controlPlane: cp,
      controlPlaneUrl: cp ? cpUrl || selfUrl : undefined,
      async close() {
        stopPurge();
        debug?.close();
        runningHealth.stop();
        running.closeIdleConnections();
        cpServer?.closeIdleConnections();
        await Promise.all([closeServer(running), closeServer(cpServer)]);
        await notifier?.close();
        await stopGc();
        await cp?.close();
        await services.uploads.close();
        await closeMetadata();
      },
    };
  } catch (err) {
    // Leave nothing running behind a failed start.
    debug?.close();
    stopPurge();
    health?.stop();
    await stopGc();
    await Promise.all([closeServer(server), closeServer(cpServer)]);
    await notifier?.close();
    await controlPlane?.close();
    await built.services.uploads.close();
    await closeMetadata();
    throw err;
  }
}
