/** The `/gitlab/v1` API on PostgreSQL: compliance, repository sizes against hand-computed values, the tags list. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256, TestClient } from '../support/http.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';

const skip = await requirePostgres();
const OCI = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes an image whose layers have exactly the given contents; returns the manifest digest. */
async function pushLayers(c: TestClient, repo: string, tag: string | undefined, layers: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const config = `{"tag":"${tag ?? 'none'}","r":${Math.random()}}`;
  await c.pushBlob(repo, config);
  for (const l of layers) await c.pushBlob(repo, l);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
    ...extra,
  });
  const r = await c.req('PUT', `/v2/${repo}/manifests/${tag ?? sha256(body)}`, { body, headers: { 'Content-Type': OCI } });
  assert.equal(r.status, 201, r.body.toString());
  return sha256(body);
}

describe('/gitlab/v1 API', { skip }, () => {
  let tdb: TestDatabase;
  let reg: TestRegistry;
  let c: TestClient;
  before(async () => {
    tdb = await createMigratedTestDatabase();
    reg = await startWharf({ database: tdb.section, gc: { disabled: true } });
    c = new TestClient(reg.url);
  });
  after(async () => {
    await reg?.close();
    await tdb?.drop();
  });

  it('answers the compliance check in database mode only', async () => {
    const r = await c.req('GET', '/gitlab/v1/');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    const legacy = await startWharf({ database: { enabled: false } });
    try {
      assert.equal((await new TestClient(legacy.url).req('GET', '/gitlab/v1/')).status, 404);
    } finally {
      await legacy.close();
    }
  });

  it('reports deduplicated sizes of tagged layers, for a repository and with its descendants', async () => {
    const A = 'a'.repeat(100);
    const B = 'b'.repeat(1000);
    const C = 'c'.repeat(10_000);
    const D = 'd'.repeat(100_000);
    const E = 'e'.repeat(7);
    await pushLayers(c, 'size/app', 'v1', [A, B]);
    await pushLayers(c, 'size/app', 'v2', [B, C]); // B counted once
    await pushLayers(c, 'size/app', undefined, [D]); // untagged: not counted
    await pushLayers(c, 'size/app/sub', 'v1', [C, E]); // C shared with the parent
    const self = (await c.req('GET', '/gitlab/v1/repositories/size/app/?size=self')).json<Record<string, unknown>>();
    assert.equal(self.size_bytes, 100 + 1000 + 10_000);
    assert.equal(self.name, 'app');
    assert.equal(self.path, 'size/app');
    assert.match(String(self.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const all = (await c.req('GET', '/gitlab/v1/repositories/size/app/?size=self_with_descendants')).json<Record<string, unknown>>();
    assert.equal(all.size_bytes, 100 + 1000 + 10_000 + 7);
    const plain = (await c.req('GET', '/gitlab/v1/repositories/size/app')).json<Record<string, unknown>>();
    assert.equal('size_bytes' in plain, false, 'size only on request');
  });

  it('refuses bad parameters and unknown repositories with the registry error format', async () => {
    assert.equal((await c.req('GET', '/gitlab/v1/repositories/size/app/?size=everything')).errorCode(), 'INVALID_QUERY_PARAMETER_VALUE');
    const unknown = await c.req('GET', '/gitlab/v1/repositories/no/such/');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.errorCode(), 'NAME_UNKNOWN');
    assert.equal((await c.req('GET', '/gitlab/v1/repositories/Bad/Name/')).errorCode(), 'NAME_INVALID');
  });

  it('lists tags with n, last, before, name, sort and referrers', async () => {
    const repo = 'tags/list';
    const digests: Record<string, string> = {};
    for (const t of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) digests[t] = await pushLayers(c, repo, t, [`layer-${t}`]);
    const sig = await pushLayers(c, repo, 'sig', ['sig-layer'], { artifactType: 'application/vnd.example.sig', subject: { mediaType: OCI, digest: digests.alpha, size: 1 } });
    const get = (q: string) => c.req('GET', `/gitlab/v1/repositories/${repo}/tags/list/${q}`);
    const names = (r: Awaited<ReturnType<typeof get>>) => r.json<Array<{ name: string }>>().map((t) => t.name);

    const p1 = await get('?n=2');
    assert.deepEqual(names(p1), ['alpha', 'beta']);
    assert.equal(p1.header('link'), `</gitlab/v1/repositories/${repo}/tags/list/?last=beta&n=2>; rel="next"`);
    const p2 = await get('?n=2&last=beta');
    assert.deepEqual(names(p2), ['delta', 'epsilon']);
    assert.match(p2.header('link') ?? '', /last=epsilon&n=2>; rel="next", <[^>]*before=delta&n=2>; rel="previous"/);
    assert.deepEqual(names(await get('?n=2&before=delta')), ['alpha', 'beta']);
    assert.deepEqual(names(await get('?sort=-name')), ['sig', 'gamma', 'epsilon', 'delta', 'beta', 'alpha']);
    assert.deepEqual(names(await get('?name=ta')), ['beta', 'delta']);
    assert.deepEqual(names(await get('?sort=published_at&n=3')), ['alpha', 'beta', 'gamma'], 'published in push order');

    const first = (await get('?n=1')).json<Array<Record<string, unknown>>>()[0] as Record<string, unknown>;
    assert.equal(first.digest, digests.alpha);
    assert.equal(first.media_type, OCI);
    assert.equal(typeof first.size_bytes, 'number');
    assert.match(String(first.config_digest), /^sha256:/);
    const withRefs = (await get('?n=1&referrers=true')).json<Array<{ referrers: unknown[] }>>()[0];
    assert.deepEqual(withRefs?.referrers, [{ artifactType: 'application/vnd.example.sig', digest: sig }]);

    const detail = await c.req('GET', `/gitlab/v1/repositories/${repo}/tags/detail/beta/`);
    assert.deepEqual(
      { ...detail.json<Record<string, unknown>>(), created_at: 'x', published_at: 'x' },
      {
        ...(await get('?n=1&last=alpha')).json<Array<Record<string, unknown>>>()[0],
        repository: repo,
        created_at: 'x',
        published_at: 'x',
      },
    );
    assert.equal((await c.req('GET', `/gitlab/v1/repositories/${repo}/tags/detail/nope/`)).errorCode(), 'MANIFEST_UNKNOWN');
    assert.equal((await get('?n=1001')).errorCode(), 'PAGINATION_NUMBER_INVALID');
    assert.equal((await get('?last=a&before=b')).errorCode(), 'INVALID_QUERY_PARAMETER_VALUE');
    assert.equal((await get('?sort=size')).errorCode(), 'INVALID_QUERY_PARAMETER_VALUE');
    assert.equal((await get('?name=%25')).errorCode(), 'INVALID_QUERY_PARAMETER_VALUE');
  });
});

describe('/gitlab/v1 repositories under a path', { skip }, () => {
  it('lists the repository and its descendants in path order, paginated', async () => {
    const tdb = await createMigratedTestDatabase();
    const reg = await startWharf({ database: tdb.section, gc: { disabled: true } });
    try {
      const c = new TestClient(reg.url);
      for (const r of ['grp/proj', 'grp/proj/a', 'grp/proj/b/c', 'grp/projection', 'other/x']) await c.pushImage(r, 'v1');
      const all = (await c.req('GET', '/gitlab/v1/repository-paths/grp/proj/repositories/list/')).json<Array<{ path: string; name: string }>>();
      assert.deepEqual(
        all.map((r) => r.path),
        ['grp/proj', 'grp/proj/a', 'grp/proj/b/c'],
        'siblings sharing a prefix are not descendants',
      );
      assert.equal(all[2]?.name, 'c');
      const p1 = await c.req('GET', '/gitlab/v1/repository-paths/grp/proj/repositories/list/?n=2');
      assert.equal(p1.json<unknown[]>().length, 2);
      assert.equal(p1.header('link'), '</gitlab/v1/repository-paths/grp/proj/repositories/list/?last=grp%2Fproj%2Fa&n=2>; rel="next"');
      const p2 = await c.req('GET', '/gitlab/v1/repository-paths/grp/proj/repositories/list/?n=2&last=grp/proj/a');
      assert.deepEqual(
        p2.json<Array<{ path: string }>>().map((r) => r.path),
        ['grp/proj/b/c'],
      );
    } finally {
      await reg.close();
      await tdb.drop();
    }
  });
});
