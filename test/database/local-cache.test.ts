/**
 * The in-process metadata cache (metadata/cache/local-store.ts) across nodes
 * without Redis, kept correct by LISTEN/NOTIFY: two registry nodes on one
 * PostgreSQL database and one storage directory. A tag moved or deleted, a
 * manifest or blob link deleted through node A, or a change no node made
 * (SQL on the tables, as GC and renames write), is seen at once by node B;
 * with the listening connection cut, B serves from the database and forgets
 * its cache, then caches again once it listens.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { until } from '../support/wait.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';

const skip = await requirePostgres();
const OCI = 'application/vnd.oci.image.manifest.v1+json';

describe('in-process metadata cache across two nodes (LISTEN/NOTIFY, no Redis)', { skip }, () => {
  let tdb: TestDatabase;
  let a: TestRegistry;
  let b: TestRegistry;
  let ca: TestClient;
  let cb: TestClient;
  /** Counts the database queries node B runs, by query name (from its metrics). */
  const queriesOnB = async (name: string): Promise<number> => {
    const text = await (await fetch(`${b.url}/metrics`)).text();
    return Number(new RegExp(`wharf_database_query_duration_seconds_count\\{query="${name}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };

  before(async () => {
    tdb = await createMigratedTestDatabase();
    a = await startWharf({ database: tdb.section });
    b = await startWharf({ database: tdb.section }, a.root);
    ca = new TestClient(a.url);
    cb = new TestClient(b.url);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await tdb?.drop();
  });

  it('B answers repeated lookups from its cache (no query per request)', async () => {
    const img = await ca.pushImage('lc/hits', 'v1');
    assert.equal((await cb.req('HEAD', '/v2/lc/hits/manifests/v1')).header('docker-content-digest'), img.digest);
    const before = await queriesOnB('tag_resolve');
    for (let i = 0; i < 20; i++) assert.equal((await cb.req('HEAD', '/v2/lc/hits/manifests/v1')).header('docker-content-digest'), img.digest);
    assert.equal(await queriesOnB('tag_resolve'), before, 'no tag query for cached lookups');
    const blobs = await queriesOnB('blob_linked');
    for (let i = 0; i < 5; i++) assert.equal((await cb.req('HEAD', `/v2/lc/hits/blobs/${img.layer}`)).status, 200);
    assert.ok((await queriesOnB('blob_linked')) <= blobs + 1, 'at most one blob-link query');
  });

  it('a tag moved, moved back and deleted through A is seen at once through B', async () => {
    const one = await ca.pushImage('lc/nodes', 'latest');
    for (let i = 0; i < 3; i++) assert.equal((await cb.req('HEAD', '/v2/lc/nodes/manifests/latest')).header('docker-content-digest'), one.digest, 'B caches the tag');
    for (let round = 0; round < 20; round++) {
      const next = await ca.pushImage('lc/nodes', 'latest');
      assert.equal((await cb.req('HEAD', '/v2/lc/nodes/manifests/latest')).header('docker-content-digest'), next.digest, `B sees move ${round}`);
    }
    assert.equal((await ca.req('PUT', '/v2/lc/nodes/manifests/latest', { body: one.body, headers: { 'Content-Type': OCI } })).status, 201);
    assert.equal((await cb.req('HEAD', '/v2/lc/nodes/manifests/latest')).header('docker-content-digest'), one.digest, 'and the move back');
    assert.equal((await ca.req('DELETE', '/v2/lc/nodes/manifests/latest')).status, 202);
    assert.equal((await cb.req('HEAD', '/v2/lc/nodes/manifests/latest')).status, 404, 'B sees the delete');
  });

  it('a manifest and a blob link deleted through A are gone through B at once', async () => {
    const img = await ca.pushImage('lc/links', 'v1');
    assert.equal((await cb.req('HEAD', `/v2/lc/links/manifests/${img.digest}`)).status, 200);
    assert.equal((await cb.req('HEAD', `/v2/lc/links/blobs/${img.layer}`)).status, 200);
    assert.equal((await ca.req('DELETE', `/v2/lc/links/manifests/${img.digest}`)).status, 202);
    assert.equal((await cb.req('HEAD', `/v2/lc/links/manifests/${img.digest}`)).status, 404);
    assert.equal((await ca.req('DELETE', `/v2/lc/links/blobs/${img.layer}`)).status, 202);
    assert.equal((await cb.req('HEAD', `/v2/lc/links/blobs/${img.layer}`)).status, 404);
  });

  it('a change written by SQL outside any node (as GC and renames write) reaches both caches', async () => {
    const img = await ca.pushImage('lc/sql', 'v1');
    for (const c of [ca, cb]) assert.equal((await c.req('HEAD', '/v2/lc/sql/manifests/v1')).status, 200);
    const client = new pg.Client({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
    await client.connect();
    try {
      await client.query("DELETE FROM tags t USING repositories r WHERE r.id = t.repository_id AND r.path = 'lc/sql'");
    } finally {
      await client.end();
    }
    // No node made this change, so nobody waits for the echo: wait on the condition itself.
    for (const c of [ca, cb]) await until('the deleted tag to be gone', async () => (await c.req('HEAD', '/v2/lc/sql/manifests/v1')).status === 404);
    assert.equal((await cb.req('HEAD', `/v2/lc/sql/manifests/${img.digest}`)).status, 200, 'the manifest itself stays');
  });

  it('with its listening connection cut, B serves from the database, then caches again', async () => {
    const one = await ca.pushImage('lc/cut', 'v1');
    assert.equal((await cb.req('HEAD', '/v2/lc/cut/manifests/v1')).header('docker-content-digest'), one.digest);
    const admin = new pg.Client({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: 'postgres' });
    await admin.connect();
    try {
      // Cut every LISTEN session on the test database (both nodes'), then move the tag while nobody listens.
      const cut = async () => (await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'wharf-listener'", [tdb.section.dbname])).rowCount ?? 0;
      assert.ok((await cut()) >= 2, 'both nodes listened');
      const two = await ca.pushImage('lc/cut', 'v1');
      assert.equal((await cb.req('HEAD', '/v2/lc/cut/manifests/v1')).header('docker-content-digest'), two.digest, 'B does not serve its old entry');
      await until(
        'both nodes to listen again',
        async () => (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'wharf-listener'", [tdb.section.dbname])).rows[0].n >= 2,
      );
      const three = await ca.pushImage('lc/cut', 'v1');
      assert.equal((await cb.req('HEAD', '/v2/lc/cut/manifests/v1')).header('docker-content-digest'), three.digest, 'and sees moves again once listening');
    } finally {
      await admin.end();
    }
  });
});
