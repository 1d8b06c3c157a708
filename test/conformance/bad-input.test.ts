/**
 * Bad input: every case gets its OCI error code and leaves the data directory
 * (and, in database mode, every metadata table) exactly as it was. Runs in
 * the default mode (the embedded PostgreSQL server), legacy mode and on an
 * external PostgreSQL.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sha256, TestClient, type RawResponse } from '../support/http.js';
import { snapshot } from '../support/snapshot.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const noPostgres = await requirePostgres();

for (const mode of ['embedded', 'legacy', 'database'] as const)
  describe(`bad input is refused with an OCI error and changes nothing (${mode})`, { skip: mode === 'database' ? noPostgres : undefined }, () => {
    let reg: TestRegistry;
    let c: TestClient;
    let img: Awaited<ReturnType<TestClient['pushImage']>>;
    let tdb: TestDatabase | undefined;

    before(async () => {
      if (mode === 'database') tdb = await createMigratedTestDatabase();
      const database = tdb ? tdb.section : { enabled: mode === 'embedded' };
      reg = await startWharf({ database, gc: { disabled: true } });
      c = new TestClient(reg.url);
      img = await c.pushImage('bad/repo', 'v1');
    });
    after(async () => {
      await reg?.close();
      await tdb?.drop();
    });

    /** Every file under the data directory and, in database mode, a fingerprint of every metadata table. */
    async function state(): Promise<unknown> {
      const db = reg.node.database;
      const tables = db
        ? await db.query(
            't',
            `SELECT (SELECT count(*) FROM repositories) AS r, (SELECT count(*) FROM blobs) AS b, (SELECT count(*) FROM repository_blobs) AS rb,
          (SELECT count(*) FROM manifests) AS m, (SELECT count(*) FROM layers) AS l, (SELECT count(*) FROM manifest_references) AS mr,
          (SELECT count(*) FROM tags) AS t, (SELECT string_agg(name || '=' || manifest_id, ',' ORDER BY name) FROM tags) AS tv`,
          )
        : [];
      return { files: await snapshot(reg.root), tables };
    }

    async function refused(status: number, code: string, send: () => Promise<RawResponse>): Promise<void> {
      const before = await state();
      const r = await send();
      assert.equal(r.status, status, `got ${r.status} ${r.body.toString().slice(0, 300)}`);
      assert.equal(r.errorCode(), code);
      assert.equal(r.header('content-type'), 'application/json');
      const body = r.json<{ errors: Array<{ code: string; message: string }> }>();
      assert.ok(body.errors[0]?.message.length);
      assert.deepEqual(await state(), before);
    }

    it('wrong digest on monolithic POST', () => refused(400, 'DIGEST_INVALID', () => c.req('POST', `/v2/bad/repo/blobs/uploads/?digest=${sha256('other')}`, { body: 'these bytes' })));

    it('wrong digest on PUT completing an upload, and the session is discarded', async () => {
      const loc = (await c.req('POST', '/v2/bad/repo/blobs/uploads/')).header('location') as string;
      await c.req('PATCH', loc, { body: 'abc' });
      const before = await snapshot(reg.root);
      const r = await c.req('PUT', `${loc}?digest=${sha256('xyz')}`);
      assert.equal(r.errorCode(), 'DIGEST_INVALID');
      const afterSnap = await snapshot(reg.root);
      const added = Object.keys(afterSnap).filter((k) => !(k in before));
      assert.deepEqual(added, []);
      assert.ok(
        Object.keys(afterSnap).every((k) => !k.includes('/_uploads/')),
        'upload session removed',
      );
      assert.ok(
        Object.keys(afterSnap).every((k) => !k.includes(sha256('abc').slice(7))),
        'no blob for the bytes',
      );
    });

    it('digest of another algorithm: sha512 of different bytes, and an unsupported algorithm', async () => {
      await refused(400, 'DIGEST_INVALID', () => c.req('POST', `/v2/bad/repo/blobs/uploads/?digest=sha512:${'a'.repeat(128)}`, { body: 'bytes' }));
      await refused(400, 'DIGEST_INVALID', () => c.req('POST', `/v2/bad/repo/blobs/uploads/?digest=md5:${'a'.repeat(32)}`, { body: 'bytes' }));
      await refused(400, 'DIGEST_INVALID', () => c.req('PUT', `/v2/bad/repo/manifests/sha512:${'b'.repeat(128)}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } }));
    });

    it('manifest PUT by a digest that does not match its bytes', () =>
      refused(400, 'DIGEST_INVALID', () => c.req('PUT', `/v2/bad/repo/manifests/${sha256('different')}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } })));

    it('malformed JSON manifest', () => refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/broken', { body: '{"schemaVersion": 2, ', headers: { 'Content-Type': OCI_MANIFEST } })));

    it('manifest that is valid JSON but not a manifest', async () => {
      await refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/broken', { body: '[1,2]', headers: { 'Content-Type': OCI_MANIFEST } }));
      await refused(400, 'MANIFEST_INVALID', () =>
        c.req('PUT', '/v2/bad/repo/manifests/broken', { body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), headers: { 'Content-Type': OCI_MANIFEST } }),
      );
      await refused(400, 'MANIFEST_INVALID', () =>
        c.req('PUT', '/v2/bad/repo/manifests/broken', {
          body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x/y', digest: 'sha256:short', size: 1 } }),
          headers: { 'Content-Type': OCI_MANIFEST },
        }),
      );
      await refused(400, 'MANIFEST_INVALID', () =>
        c.req('PUT', '/v2/bad/repo/manifests/broken', {
          body: JSON.stringify({ schemaVersion: 3, mediaType: OCI_MANIFEST, config: { mediaType: 'x/y', digest: img.config, size: 1 } }),
          headers: { 'Content-Type': OCI_MANIFEST },
        }),
      );
    });

    it('manifest referencing a missing blob', () => {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: img.config, size: 10 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('missing'), size: 7 }],
      });
      return refused(404, 'MANIFEST_BLOB_UNKNOWN', () => c.req('PUT', '/v2/bad/repo/manifests/missing', { body, headers: { 'Content-Type': OCI_MANIFEST } }));
    });

    it('oversized manifest (over 4 MiB)', () => {
      const big = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: img.config, size: 1 },
        layers: [],
        annotations: { pad: 'x'.repeat(4 * 1024 * 1024 + 1) },
      });
      return refused(413, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/huge', { body: big, headers: { 'Content-Type': OCI_MANIFEST } }));
    });

    for (const [label, name] of [
      ['../x', '../x'],
      ['uppercase', 'Bad/Repo'],
      ['300 characters', `a/${'b'.repeat(298)}`],
      ['%2e%2e', '%2e%2e/x'],
      ['double slash', 'a//b'],
      ['trailing dot segment', 'a/./b'],
    ] as const) {
      it(`invalid repository name: ${label}`, async () => {
        await refused(400, 'NAME_INVALID', () => c.req('GET', `/v2/${name}/manifests/latest`));
        await refused(400, 'NAME_INVALID', () => c.req('POST', `/v2/${name}/blobs/uploads/?digest=${sha256('x')}`, { body: 'x' }));
        await refused(400, 'NAME_INVALID', () => c.req('PUT', `/v2/${name}/manifests/v1`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } }));
      });
    }

    it('invalid tag', () => refused(400, 'TAG_INVALID', () => c.req('PUT', `/v2/bad/repo/manifests/-bad`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } })));

    it('PATCH with a bad Content-Range', async () => {
      const loc = (await c.req('POST', '/v2/bad/repo/blobs/uploads/')).header('location') as string;
      await refused(416, 'RANGE_INVALID', () => c.req('PATCH', loc, { body: 'abc', headers: { 'Content-Range': 'garbage' } }));
      await refused(416, 'RANGE_INVALID', () => c.req('PATCH', loc, { body: 'abc', headers: { 'Content-Range': '5-2' } }));
      await refused(416, 'RANGE_INVALID', () => c.req('PATCH', loc, { body: 'abc', headers: { 'Content-Range': '0-9' } }));
      await refused(416, 'RANGE_INVALID', () => c.req('PATCH', loc, { body: 'abc', headers: { 'Content-Range': '3-5' } }));
    });

    it('upload id of another repository', async () => {
      const loc = (await c.req('POST', '/v2/bad/repo/blobs/uploads/')).header('location') as string;
      const id = loc.split('/').pop() as string;
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('PATCH', `/v2/bad/other/blobs/uploads/${id}`, { body: 'abc' }));
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('PUT', `/v2/bad/other/blobs/uploads/${id}?digest=${sha256('')}`));
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('GET', `/v2/bad/other/blobs/uploads/${id}`));
    });

    it('unknown and malformed upload ids', async () => {
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('GET', '/v2/bad/repo/blobs/uploads/6f1c7a4e-8d1b-4c3a-9e2f-0a1b2c3d4e5f'));
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('PATCH', '/v2/bad/repo/blobs/uploads/..', { body: 'x' }));
      await refused(404, 'BLOB_UPLOAD_UNKNOWN', () => c.req('DELETE', '/v2/bad/repo/blobs/uploads/not-a-uuid'));
    });

    it('n=-1 and other bad page sizes', async () => {
      await refused(400, 'PAGINATION_NUMBER_INVALID', () => c.req('GET', '/v2/bad/repo/tags/list?n=-1'));
      await refused(400, 'PAGINATION_NUMBER_INVALID', () => c.req('GET', '/v2/_catalog?n=-1'));
      await refused(400, 'PAGINATION_NUMBER_INVALID', () => c.req('GET', '/v2/_catalog?n=abc'));
      await refused(400, 'PAGINATION_NUMBER_INVALID', () => c.req('GET', '/v2/_catalog?n=100000'));
    });

    it('malformed digests on blob routes', async () => {
      await refused(400, 'DIGEST_INVALID', () => c.req('GET', '/v2/bad/repo/blobs/sha256:xyz'));
      await refused(400, 'DIGEST_INVALID', () => c.req('GET', '/v2/bad/repo/blobs/sha256:..'));
      await refused(400, 'DIGEST_INVALID', () => c.req('PUT', `/v2/bad/repo/blobs/uploads/6f1c7a4e-8d1b-4c3a-9e2f-0a1b2c3d4e5f`));
    });

    it('a client that disconnects mid-upload leaves no blob visible', async () => {
      const data = Buffer.alloc(2 * 1024 * 1024, 7);
      const digest = sha256(data);
      const u = new URL(reg.url);
      const uploadsBefore = Object.keys(await snapshot(reg.root)).filter((f) => f.includes('/_uploads/'));
      await new Promise<void>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, method: 'POST', path: `/v2/bad/repo/blobs/uploads/?digest=${digest}`, headers: { 'Content-Length': data.length } });
        req.on('error', () => resolve());
        req.write(data.subarray(0, 512 * 1024), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 100),
        );
      });
      await new Promise((r) => setTimeout(r, 300));
      const r = await c.req('HEAD', `/v2/bad/repo/blobs/${digest}`);
      assert.equal(r.status, 404);
      const files = Object.keys(await snapshot(reg.root));
      assert.ok(
        files.every((f) => !f.includes(digest.slice(7))),
        'no blob data for the digest',
      );
      assert.deepEqual(
        files.filter((f) => f.includes('/_uploads/')),
        uploadsBefore,
        'the monolithic session was cleaned up',
      );
    });
    /** After each hostile case the process still serves: /v2/ answers and the pushed image still pulls. */
    async function stillServing(): Promise<void> {
      assert.equal((await c.req('GET', '/v2/')).status, 200, 'the server still answers');
      assert.equal((await c.req('GET', '/v2/bad/repo/manifests/v1')).header('docker-content-digest'), img.digest);
    }

    it('a manifest of 100,000 nested arrays is refused (it used to crash the process)', async () => {
      const deep = `{"schemaVersion":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      for (const mt of [OCI_MANIFEST, 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']) {
        await refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/deep', { body: deep, headers: { 'Content-Type': mt } }));
        await stillServing();
      }
      // Deep objects in a field the error detail would name, and deep nesting inside strings (allowed: only structure counts).
      const deepObj = `{"schemaVersion":2,"config":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
      await refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/deep', { body: deepObj, headers: { 'Content-Type': OCI_MANIFEST } }));
      await stillServing();
    });

    it('NUL characters and lone surrogates in manifest strings are MANIFEST_INVALID', async () => {
      const m = JSON.parse(img.body.toString()) as Record<string, unknown>;
      // JSON escapes in the text: valid JSON, not storable text.
      for (const bad of ['\\u0000', 'a\\u0000b', '\\ud800', 'x\\udfff']) {
        const body = JSON.stringify({ ...m, annotations: { note: 'PLACEHOLDER' } }).replace('PLACEHOLDER', bad);
        await refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/annotated', { body, headers: { 'Content-Type': OCI_MANIFEST } }));
        const inKey = JSON.stringify({ ...m, annotations: { PLACEHOLDER: 'v' } }).replace('PLACEHOLDER', bad);
        await refused(400, 'MANIFEST_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/annotated', { body: inKey, headers: { 'Content-Type': OCI_MANIFEST } }));
      }
      await stillServing();
    });

    it('NUL and control characters in last, names and references never reach a store', async () => {
      await refused(400, 'INVALID_QUERY_PARAMETER_VALUE', () => c.req('GET', '/v2/bad/repo/tags/list?last=%00'));
      await refused(400, 'INVALID_QUERY_PARAMETER_VALUE', () => c.req('GET', '/v2/_catalog?last=%00'));
      await refused(400, 'INVALID_QUERY_PARAMETER_VALUE', () => c.req('GET', '/v2/_catalog?n=10&last=a%0Ab'));
      await refused(400, 'INVALID_QUERY_PARAMETER_VALUE', () => c.req('GET', `/v2/bad/repo/tags/list?last=${'a'.repeat(600)}`));
      await refused(400, 'TAG_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/%00', { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } }));
      await refused(404, 'MANIFEST_UNKNOWN', () => c.req('GET', '/v2/bad/repo/manifests/%00'));
      await stillServing();
    });

    it('GET and HEAD of a reference that is no valid tag are 404 MANIFEST_UNKNOWN (OCI conformance); PUT stays TAG_INVALID', async () => {
      await refused(404, 'MANIFEST_UNKNOWN', () => c.req('GET', '/v2/bad/repo/manifests/.INVALID_MANIFEST_NAME'));
      const head = await c.req('HEAD', '/v2/bad/repo/manifests/.INVALID_MANIFEST_NAME');
      assert.equal(head.status, 404);
      await refused(400, 'TAG_INVALID', () => c.req('PUT', '/v2/bad/repo/manifests/.INVALID_MANIFEST_NAME', { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } }));
    });
  });
