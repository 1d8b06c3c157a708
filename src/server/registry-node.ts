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
import { startHealthChecks } from '../observability/health.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createRegistryListener } from '../registry/app.js';
import { createDebugListener, type MetricsExporter } from '../observability/endpoints.js';
import { clusterMetricsSource, isClusterWorker, workerIndex } from './cluster.js';
import type { RegistryServices } from '../registry/context.js';
import { createStorageDriver } from '../storage/factory.js';
import type { StorageDriver } from '../storage/driver.js';

/** A running registry node. */
export interface RegistryNode {
  readonly server: Server;
  readonly services: RegistryServices;
  readonly driver: StorageDriver;
  /** `http://host:port` the node listens on. */
  readonly url: string;
  /** `http://host:port` of the debug listener, when `http.debug.addr` is set. */
  readonly debugUrl?: string | undefined;
  close(): Promise<void>;
}

/** Options that are not configuration (tests inject a logger or a driver). */
export interface NodeOptions {
  readonly log?: Logger;
  readonly driver?: StorageDriver;
  readonly metrics?: Metrics;
}

/** Builds the services of the data plane. */
export async function buildServices(config: Config, opts: NodeOptions = {}): Promise<{ services: RegistryServices; driver: StorageDriver; closeMetadata: () => Promise<void> }> {
  const log = opts.log ?? createLogger(config.log);
  const metrics = opts.metrics ?? createMetrics();
  const driver = opts.driver ?? createStorageDriver(config.storage, metrics);
  const { store: metadata, database, cache, close: closeMetadata } = await createMetadataBackend(config, driver, metrics.registry);
  const content = new BlobContent(driver);
  const v = config.validation;
  const manifests = new ManifestService(metadata, content, {
    schema1: config.compatibility.schema1.enabled,
    urls: { allow: v.manifests.urls.allow.map((p) => new RegExp(p)), deny: v.manifests.urls.deny.map((p) => new RegExp(p)) },
    skipReferenceCheck: v.disabled || v.enabled === false,
    referenceLimit: v.manifests.referencelimit,
  });
  const uploads = new UploadService(driver, content, metadata);
  return { services: { config, metadata, content, manifests, uploads, metrics, log, database, cache }, driver, closeMetadata };
}

/** Starts the `http.debug.addr` server (health, and metrics when `prometheus.enabled`), if configured. */
async function startDebugServer(config: Config, health: ReturnType<typeof startHealthChecks>, exportMetrics: MetricsExporter): Promise<Server | undefined> {
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

function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = i <= 0 ? '0.0.0.0' : addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(addr.slice(i + 1)) };
}

/** Starts a registry node listening on `http.addr`. */
export async function startRegistryNode(config: Config, opts: NodeOptions = {}): Promise<RegistryNode> {
  const { services, driver, closeMetadata } = await buildServices(config, opts);
  const { database } = services;
  const { log } = services;
  await driver.health();
  const health = startHealthChecks(driver, config.health.storagedriver);
  const { metrics } = services;
  const exportMetrics: MetricsExporter = isClusterWorker()
    ? clusterMetricsSource(metrics.registry)
    : async () => ({ text: await metrics.registry.metrics(), contentType: metrics.registry.contentType });
  const listener = createRegistryListener(services, health, exportMetrics);
  const tls = config.http.tls;
  const server = tls ? createHttpsServer(tlsOptions(tls), listener) : createHttpServer(listener);
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  server.requestTimeout = 0;
  // One purger per node: in a cluster only the first worker runs it.
  const purging = config.storage.maintenance.uploadpurging.enabled && !config.storage.maintenance.readonly.enabled && workerIndex() === 0;
  const stopPurge = purging ? schedulePurges(driver, config.storage.maintenance.uploadpurging, log) : () => undefined;

  if (config.http.net === 'unix') {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.http.addr, resolve));
  } else {
    const { host, port } = splitAddr(config.http.addr);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  }
  let debug: Server | undefined;
  let stopGc: () => Promise<void> = async () => undefined;
  try {
    debug = await startDebugServer(config, health, exportMetrics);
    if (database) stopGc = await startOnlineGc(config, database, driver, log, metrics.registry);
  } catch (err) {
    // Leave nothing running behind a failed start.
    debug?.close();
    stopPurge();
    health.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.uploads.close();
    await closeMetadata();
    throw err;
  }
  const debugAddress = debug?.address();
  const debugUrl = debugAddress && typeof debugAddress === 'object' ? `http://${debugAddress.address}:${debugAddress.port}` : undefined;
  const address = server.address();
  const url = typeof address === 'object' && address ? `${tls ? 'https' : 'http'}://${(address as AddressInfo).address.includes(':') ? `[${address.address}]` : address.address}:${address.port}` : String(address);
  log.info({ url, storage: driver.name, metadata: services.metadata.mode, readOnly: config.storage.maintenance.readonly.enabled }, 'registry listening');
  if (workerIndex() === 0) {
    log.warn('no auth section is configured: the registry is open to anyone who can reach it');
    if (!config.http.secret) log.warn('http.secret is not set; set the same secret on every node behind a load balancer');
  }

  return {
    server,
    services,
    driver,
    url,
    debugUrl,
    async close() {
      stopPurge();
      debug?.close();
      health.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopGc();
      await services.uploads.close();
      await closeMetadata();
    },
  };
}
