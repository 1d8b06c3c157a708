/**
 * The embedded database (PGlite under the data directory): migrated on start,
 * the conformance list passes on it, and its data survives a restart.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
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
