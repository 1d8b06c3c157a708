/** `http.prefix` and `http.host`: the API answers under the prefix and hands out URLs that include it. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';

describe('http.prefix and http.host', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startWharf({ http: { prefix: '/registry/', host: 'https://registry.example.com' } });
  });
  after(async () => reg?.close());

  it('serves /v2/ under the prefix and returns absolute Locations on http.host', async () => {
    const c = new TestClient(reg.url);
    assert.equal((await c.req('GET', '/registry/v2/')).status, 200);
    const start = await c.req('POST', '/registry/v2/p/q/blobs/uploads/');
    assert.equal(start.status, 202);
    assert.match(start.header('location') ?? '', /^https:\/\/registry\.example\.com\/registry\/v2\/p\/q\/blobs\/uploads\/[0-9a-f-]{36}$/);
  });
});
