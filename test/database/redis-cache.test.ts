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
    await assert.rejects(startWharf({ database: { enabled: false }, redis: { cache: REDIS_CACHE } }), /redis\.cache\.enabled: the Redis cache needs the metadata database/);
  });
});

describe('/gitlab/v1 repository rename', { skip }, () => {
  it('renames a repository and its sub-repositories, with dry run, lease, conflicts and cache invalidation', async () => {
    const tdb = await createMigratedTestDatabase();
    const a = await startWharf({ database: tdb.section, redis: { cache: REDIS_CACHE } });
    const b = await startWharf({ database: tdb.section, redis: { cache: REDIS_CACHE } }, a.root);
    try {
      const ca = new TestClient(a.url);
      const cb = new TestClient(b.url);
      const img = await ca.pushImage('ren/app', 'v1');
      await ca.pushImage('ren/app/sub', 'v1');
      await ca.pushImage('ren/taken', 'v1');
      assert.equal((await cb.req('HEAD', '/v2/ren/app/manifests/v1')).status, 200, 'B caches the old path');
      const patch = (path: string, body: unknown, dry: boolean) => ca.req('PATCH', `/gitlab/v1/repositories/${path}/?dry_run=${dry}`, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

      assert.equal((await patch('ren/app', { name: 'taken' }, true)).errorCode(), 'RENAME_CONFLICT');
      assert.equal((await patch('ren/app', { name: 'Bad Name' }, true)).errorCode(), 'INVALID_QUERY_PARAMETER_VALUE');
      assert.equal((await patch('ren/nope', { name: 'x' }, true)).errorCode(), 'NAME_UNKNOWN');
      const dry = await patch('ren/app', { name: 'renamed' }, true);
      assert.equal(dry.status, 202);
      assert.ok(Date.parse(dry.json<{ ttl: string }>().ttl) > Date.now(), 'the dry run holds a lease');
      assert.equal((await cb.req('GET', '/v2/ren/app/manifests/v1')).status, 200, 'a dry run renames nothing');
      // Another repository cannot take the reserved path.
      assert.equal((await patch('ren/taken', { name: 'renamed' }, true)).errorCode(), 'RENAME_CONFLICT');

      assert.equal((await patch('ren/app', { name: 'renamed' }, false)).status, 204);
      assert.equal((await cb.req('GET', '/v2/ren/app/manifests/v1')).status, 404, 'node B no longer serves the old path');
      assert.equal((await cb.req('GET', '/v2/ren/renamed/manifests/v1')).header('docker-content-digest'), img.digest);
      assert.equal((await cb.req('GET', '/v2/ren/renamed/sub/manifests/v1')).status, 200, 'sub-repositories moved along');
      const details = (await cb.req('GET', '/gitlab/v1/repositories/ren/renamed/')).json<{ name: string; path: string }>();
      assert.deepEqual([details.name, details.path], ['renamed', 'ren/renamed']);
    } finally {
      await a.close();
      await b.close();
      await tdb.drop();
    }
  });
});
