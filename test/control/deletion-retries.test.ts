/**
 * Repository deletion retries (SPEC 6.2): the registry (legacy metadata, a
 * storage driver that fails its first N deletes) and the control plane run
 * as two nodes; a scheduled deletion is retried with growing delays, ends as
 * `delete_failed` after 10 failed attempts, is listed, reset by an admin, and
 * then completes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { startRegistryNode, type RegistryNode } from '../../src/server/registry-node.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { testKey } from '../support/auth-stack.js';
import { TestClient } from '../support/http.js';
import { until } from '../support/wait.js';
import { recordRegistryEvents } from '../../src/control/api/events.js';
import { tempDir } from '../support/temp.js';

const skip = await requirePostgres();
const log = pino({ level: process.env.WHARF_TEST_LOG ?? 'silent' });
const ROOT = { Authorization: `Basic ${Buffer.from('root:root-password-1234').toString('base64')}`, 'Content-Type': 'application/json' };

/** Wraps a driver so that its next `failures` deletes throw. */
function failingDeletes(driver: StorageDriver): { driver: StorageDriver; fail(n: number): void; failed(): number } {
  let left = 0;
  let count = 0;
  const wrapped = new Proxy(driver, {
    get(target, prop) {
      if (prop === 'delete') {
        return async (...args: unknown[]) => {
          if (left > 0) {
            left--;
            count++;
            throw new Error('injected storage failure');
          }
          return (target.delete as (...a: unknown[]) => Promise<void>)(...args);
        };
      }
      const v = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { driver: wrapped, fail: (n) => void (left = n), failed: () => count };
}

describe('repository deletion retries', { skip }, () => {
  let tdb: TestDatabase;
  let registry: RegistryNode;
  let cp: RegistryNode;
  let storage: ReturnType<typeof failingDeletes>;
  let api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

  before(async () => {
    tdb = await createMigratedTestDatabase();
    const key = await testKey();
    const root = await tempDir('wharf-retries-');
    const regConfig = parseConfig({
      log: { level: 'warn', accesslog: { disabled: true } },
      http: { addr: '127.0.0.1:0' },
      storage: { filesystem: { rootdirectory: join(root, 'registry') }, delete: { enabled: true } },
      database: { enabled: false },
      auth: { token: { realm: 'http://127.0.0.1:1/jwt/auth', service: 'container_registry', issuer: 'wharf-issuer', rootcertbundle: key.certificate } },
    });
    storage = failingDeletes(await createStorageDriver(regConfig.storage));
    registry = await startRegistryNode(regConfig, { log, driver: storage.driver });
    cp = await startRegistryNode(
      parseConfig({
        log: { level: 'warn', accesslog: { disabled: true } },
        http: { addr: '127.0.0.1:0' },
        storage: { filesystem: { rootdirectory: join(root, 'cp') } },
        database: tdb.section,
        controlplane: { standalone: true, registryurl: registry.url, key: key.key, certificate: key.certificate, jobinterval: '20ms', jobbackoff: '5ms' },
      }),
      { log, rootPassword: 'root-password-1234' },
    );
    api = async (method, path, body) => {
      const res = await fetch(`${cp.url}/api/v4${path}`, { method, headers: ROOT, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
  });
  after(async () => {
    await cp?.close();
    await registry?.close();
    await tdb?.drop();
  });

  async function repositoryWithTags(path: string, tags: string[]): Promise<number> {
    const token = (await (await fetch(`${cp.url}/jwt/auth?service=container_registry&scope=repository:${path}:pull,push`, { headers: ROOT })).json()).token;
    const client = new TestClient(registry.url, { Authorization: `Bearer ${token}` });
    for (const t of tags) await client.pushImage(path, t);
    // Record the repository as the registry's push event would (the nodes are separate; no endpoint is configured).
    await recordRegistryEvents(cp.controlPlane!.services.db, [{ action: 'push', target: { repository: path } } as never]);
    const project = await api('GET', `/projects/${encodeURIComponent(path.split('/').slice(0, 2).join('/'))}/registry/repositories`);
    return project.body.find((r: { path: string }) => r.path === path).id;
  }

  async function statusOf(id: number): Promise<string | undefined> {
    const r = await api('GET', `/registry/repositories/${id}`);
    return r.status === 404 ? 'gone' : r.body.status;
  }

  it('retries, gives up after 10 attempts as delete_failed, and completes after a reset', async () => {
    const g = await api('POST', '/groups', { path: 'retry' });
    await api('POST', '/projects', { path: 'app', namespace_id: g.body.id });
    const id = await repositoryWithTags('retry/app', ['a', 'b']);
    storage.fail(1000);
    assert.equal((await api('DELETE', `/projects/${encodeURIComponent('retry/app')}/registry/repositories/${id}`)).status, 202);
    await until('delete_failed', async () => (await statusOf(id)) === 'delete_failed', 30_000);
    const failed = await api('GET', '/registry/repositories?status=delete_failed');
    assert.deepEqual(
      failed.body.map((r: { id: number; delete_api_attempts: number }) => [r.id, r.delete_api_attempts]),
      [[id, 10]],
    );
    assert.equal(storage.failed(), 10, 'one registry delete per attempt, 10 attempts');
    storage.fail(3);
    assert.equal((await api('POST', `/registry/repositories/${id}/reset_deletion`)).status, 202);
    assert.equal((await api('POST', `/registry/repositories/${id}/reset_deletion`)).status, 409, 'only failed deletions are reset');
    await until('the repository is gone', async () => (await statusOf(id)) === 'gone', 30_000);
    assert.equal(storage.failed(), 13, 'three more failures, then success');
    const tags = await fetch(`${registry.url}/v2/retry/app/tags/list`);
    assert.equal(tags.status, 401, 'the registry still requires a token');
  });
});
