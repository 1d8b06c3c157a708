/**
 * The Redis cache of tag lookups: the conformance list passes with it, a tag
 * moved or deleted through one node is seen at once by another node, and a
 * Redis that cannot be reached stops start-up naming redis.cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { REDIS_CACHE, requireRedis } from '../support/redis.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { CASES } from '../conformance/cases.js';

const skip = (await requirePostgres()) ?? (await requireRedis());
const OCI = 'application/vnd.oci.image.manifest.v1+json';

describe('Redis cache of tag lookups', { skip }, () => {
  let tdb: TestDatabase;
  let a: TestRegistry;
  let b: TestRegistry;
  before(async () => {
    tdb = await createMigratedTestDatabase();
    a = await startWharf({ database: tdb.section, redis: { cache: REDIS_CACHE } });
    // A second node on the same database, storage and Redis.
    b = await startWharf({ database: tdb.section, redis: { cache: REDIS_CACHE } }, a.root);
    assert.equal(a.node.services.metadata.mode, 'database+redis');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await tdb?.drop();
  });

  describe('conformance list with the cache', () => {
    CASES.filter((c) => c.config === undefined).forEach((c, i) => {
      it(c.name, async () => {
        await c.run(new TestClient(a.url), `redis/case${i}`);
      });
    });
  });

  it('a tag moved or deleted through node A is seen at once through node B', async () => {
    const ca = new TestClient(a.url);
    const cb = new TestClient(b.url);
    const one = await ca.pushImage('cache/nodes', 'latest');
    for (let i = 0; i < 3; i++) assert.equal((await cb.req('HEAD', '/v2/cache/nodes/manifests/latest')).header('docker-content-digest'), one.digest, 'B caches the tag');
    const two = await ca.pushImage('cache/nodes', 'latest');
    assert.notEqual(two.digest, one.digest);
    assert.equal((await cb.req('HEAD', '/v2/cache/nodes/manifests/latest')).header('docker-content-digest'), two.digest, 'B sees the move');
    assert.equal((await ca.req('PUT', '/v2/cache/nodes/manifests/latest', { body: one.body, headers: { 'Content-Type': OCI } })).status, 201);
    assert.equal((await cb.req('HEAD', '/v2/cache/nodes/manifests/latest')).header('docker-content-digest'), one.digest, 'and the move back');
    assert.equal((await ca.req('DELETE', '/v2/cache/nodes/manifests/latest')).status, 202);
    assert.equal((await cb.req('HEAD', '/v2/cache/nodes/manifests/latest')).status, 404, 'B sees the delete');
  });

  it('refuses to start when Redis cannot be reached, naming redis.cache', async () => {
    await assert.rejects(startWharf({ database: tdb.section, redis: { cache: { ...REDIS_CACHE, addr: '127.0.0.1:1', dialtimeout: '500ms' } } }), /redis\.cache: cannot connect to 127\.0\.0\.1:1/);
  });

  it('refuses the cache in legacy mode', async () => {
    await assert.rejects(startWharf({ redis: { cache: REDIS_CACHE } }), /redis\.cache\.enabled: the Redis cache needs the metadata database/);
  });
});
