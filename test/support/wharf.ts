/**
 * Starts a real Wharf registry node on 127.0.0.1 with a temporary data
 * directory, for conformance and end-to-end tests.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { startRegistryNode, type RegistryNode } from '../../src/server/registry-node.js';

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
 * dir. Metadata is legacy unless `config.database` says otherwise (the
 * product's default, the embedded database, is tested on its own).
 */
export async function startWharf(config: Record<string, unknown> = {}, root?: string): Promise<TestRegistry> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'wharf-data-')));
  const storage = (config.storage as Record<string, unknown> | undefined) ?? {};
  const cfg = parseConfig({
    database: { enabled: false },
    ...config,
    log: { level: 'warn', accesslog: { disabled: true } },
    http: { addr: '127.0.0.1:0', ...(config.http as object | undefined) },
    // Another driver in `config.storage` replaces the filesystem one.
    storage: { ...(['inmemory', 's3', 's3_v2', 'azure', 'azure_v2', 'gcs'].some((k) => k in storage) ? {} : { filesystem: { rootdirectory: dir } }), delete: { enabled: true }, ...storage },
  });
  const node = await startRegistryNode(cfg, { log: pino({ level: process.env.WHARF_TEST_LOG ?? 'silent' }) });
  return { node, url: node.url, host: node.url.replace(/^https?:\/\//, ''), root: dir, close: () => node.close() };
}
