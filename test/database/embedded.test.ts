/**
 * The embedded database (PGlite under the data directory): migrated on start,
 * the conformance list passes on it, and its data survives a restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { CASES } from '../conformance/cases.js';

describe('embedded database (PGlite)', () => {
  let server: TestRegistry;
  before(async () => {
    server = await startWharf({ database: { enabled: true } });
    assert.equal(server.node.services.metadata.mode, 'database');
  });
  after(async () => server?.close());

  CASES.filter((c) => c.config === undefined).forEach((c, i) => {
    it(c.name, async () => {
      await c.run(new TestClient(server.url), `emb/case${i}`);
    });
  });

  it('refuses to serve an empty database over legacy data, and serves it after import', async () => {
    const legacy = await startWharf({ database: { enabled: false } });
    const img = await new TestClient(legacy.url).pushImage('emb/legacy', 'v1');
    await legacy.close();
    await assert.rejects(startWharf({ database: { enabled: true } }, legacy.root), /storage holds 1 repositories in legacy.*wharf database import/);
    const cfg = join(legacy.root, 'config.yml');
    await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${legacy.root}\n`);
    const imported = spawnSync(process.execPath, [new URL('../../bin/wharf.js', import.meta.url).pathname, 'database', 'import', '--force', cfg], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /imported 1 repositories/);
    const after = await startWharf({ database: { enabled: true } }, legacy.root);
    try {
      assert.equal((await new TestClient(after.url).req('GET', '/v2/emb/legacy/manifests/v1')).header('docker-content-digest'), img.digest);
    } finally {
      await after.close();
    }
  });

  it('keeps its files under the data directory and its data across a restart', async () => {
    const c = new TestClient(server.url);
    const img = await c.pushImage('emb/restart', 'v1');
    assert.ok(existsSync(join(server.root, 'wharf', 'database')), 'database files under <rootdirectory>/wharf/database');
    const root = server.root;
    await server.close();
    server = await startWharf({ database: { enabled: true } }, root);
    const again = new TestClient(server.url);
    const r = await again.req('GET', '/v2/emb/restart/manifests/v1');
    assert.equal(r.status, 200);
    assert.equal(r.header('docker-content-digest'), img.digest);
    assert.deepEqual((await again.req('GET', '/v2/emb/restart/tags/list')).json(), { name: 'emb/restart', tags: ['v1'] });
  });
});
