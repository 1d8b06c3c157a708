/**
 * Starts a real Wharf registry node on 127.0.0.1 with a temporary data
 * directory, for conformance and end-to-end tests.
 */
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { startRegistryNode, type RegistryNode } from '../../src/server/registry-node.js';
import { tempDir } from './temp.js';

/** A running test registry. */
export interface TestRegistry {
  readonly node: RegistryNode;
  readonly url: string;
  /** `127.0.0.1:port`, for docker:// references. */
  readonly host: string;
  readonly root: string;
  close(): Promise<void>;
}

/**
 * Starts Wharf; `config` is merged over a filesystem config in a fresh temp
 * dir. Metadata is the product's default, the embedded PostgreSQL server
 * under that dir, unless `config.database` says otherwise; with object
 * storage (which the embedded database cannot serve) it is legacy unless
 * `config.database` names a server.
 */
export async function startWharf(config: Record<string, unknown> = {}, root?: string): Promise<TestRegistry> {
  const dir = root ?? (await tempDir('wharf-data-'));
  const storage = (config.storage as Record<string, unknown> | undefined) ?? {};
  const objectStorage = ['s3', 's3_v2', 'azure', 'azure_v2', 'gcs'].some((k) => k in storage);
  const cfg = parseConfig({
    ...(objectStorage ? { database: { enabled: false } } : {}),
    ...config,
    log: { level: 'warn', accesslog: { disabled: true } },
    http: { addr: '127.0.0.1:0', ...(config.http as object | undefined) },
    // Another driver in `config.storage` replaces the filesystem one.
    storage: { ...(objectStorage || 'inmemory' in storage ? {} : { filesystem: { rootdirectory: dir } }), delete: { enabled: true }, ...storage },
  });
  const node = await startRegistryNode(cfg, { log: pino({ level: process.env.WHARF_TEST_LOG ?? 'silent' }) });
  return { node, url: node.url, host: node.url.replace(/^https?:\/\//, ''), root: dir, close: () => node.close() };
}
