/**
 * The HTTP conformance list: one named case per behaviour of SPEC 1.1–1.3,
 * 1.10 (OCI Distribution Spec v1.1 and Docker Registry API v2). Cases are
 * independent (each uses its own repository) so they run in any order.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256, type TestClient } from '../support/http.js';
import { signedSchema1 } from '../support/schema1.js';

/** One conformance case. `config` selects a server configured differently. */
export interface ConformanceCase {
  readonly name: string;
  readonly config?: 'readonly' | 'nodelete' | 'schema1';
  run(c: TestClient, repo: string): Promise<void>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

function assertError(r: { status: number; errorCode(): string | undefined; body: Buffer }, status: number, code: string): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.body.toString().slice(0, 300)}`);
  assert.equal(r.errorCode(), code);
}

export const CASES: ConformanceCase[] = [
  // ---- base and pull ----
  {
    name: 'GET /v2/ answers 200 with Docker-Distribution-API-Version',
    async run(c) {
      const r = await c.req('GET', '/v2/');
      assert.equal(r.status, 200);
      assert.equal(r.header('docker-distribution-api-version'), 'registry/2.0');
    },
  },
  {
    name: 'pull manifest by tag and by digest returns the exact bytes with digest headers',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      for (const ref of ['v1', img.digest]) {
        const r = await c.req('GET', `/v2/${repo}/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(img.body));
        assert.equal(r.header('docker-content-digest'), img.digest);
        assert.equal(r.header('content-type'), OCI_MANIFEST);
        assert.equal(Number(r.header('content-length')), img.body.length);
      }
    },
  },
  {
    name: 'HEAD manifest answers headers without a body',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      const r = await c.req('HEAD', `/v2/${repo}/manifests/v1`);
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 0);
      assert.equal(Number(r.header('content-length')), img.body.length);
      assert.equal(r.header('docker-content-digest'), img.digest);
    },
  },
  {
    name: 'unknown manifest by tag and by digest is 404 MANIFEST_UNKNOWN',
    async run(c, repo) {
      await c.pushImage(repo, 'v1');
      assertError(await c.req('GET', `/v2/${repo}/manifests/nope`), 404, 'MANIFEST_UNKNOWN');
      assertError(await c.req('GET', `/v2/${repo}/manifests/${sha256('nothing')}`), 404, 'MANIFEST_UNKNOWN');
      const head = await c.req('HEAD', `/v2/${repo}/manifests/nope`);
      assert.equal(head.status, 404);
      assert.equal(head.body.length, 0);
    },
  },
  {
    name: 'pull blob with GET and HEAD, with Docker-Content-Digest',
    async run(c, repo) {
      const d = await c.pushBlob(repo, 'blob-bytes');
      const g = await c.req('GET', `/v2/${repo}/blobs/${d}`);
      assert.equal(g.status, 200);
      assert.equal(g.body.toString(), 'blob-bytes');
      assert.equal(g.header('docker-content-digest'), d);
      const h = await c.req('HEAD', `/v2/${repo}/blobs/${d}`);
      assert.equal(h.status, 200);
      assert.equal(Number(h.header('content-length')), 10);
      assert.equal(h.body.length, 0);
    },
  },
  {
    name: 'unknown blob is 404 BLOB_UNKNOWN; a blob of another repository is not visible',
    async run(c, repo) {
      const d = await c.pushBlob(`${repo}/other`, 'private-bytes');
      assertError(await c.req('GET', `/v2/${repo}/blobs/${d}`), 404, 'BLOB_UNKNOWN');
      assertError(await c.req('GET', `/v2/${repo}/blobs/${sha256('never')}`), 404, 'BLOB_UNKNOWN');
    },
  },
  {
    name: 'Range requests answer 206 with Content-Range, unsatisfiable ranges 416',
    async run(c, repo) {
      const d = await c.pushBlob(repo, '0123456789');
      const r = await c.req('GET', `/v2/${repo}/blobs/${d}`, { headers: { Range: 'bytes=2-5' } });
      assert.equal(r.status, 206);
      assert.equal(r.body.toString(), '2345');
      assert.equal(r.header('content-range'), 'bytes 2-5/10');
      const suffix = await c.req('GET', `/v2/${repo}/blobs/${d}`, { headers: { Range: 'bytes=-3' } });
      assert.equal(suffix.body.toString(), '789');
      const open = await c.req('GET', `/v2/${repo}/blobs/${d}`, { headers: { Range: 'bytes=7-' } });
      assert.equal(open.body.toString(), '789');
      assertError(await c.req('GET', `/v2/${repo}/blobs/${d}`, { headers: { Range: 'bytes=20-30' } }), 416, 'RANGE_INVALID');
    },
  },
  // ---- push ----
  {
    name: 'monolithic push: POST ?digest= answers 201 with Location',
    async run(c, repo) {
      const data = 'monolithic';
      const r = await c.req('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, { body: data });
      assert.equal(r.status, 201);
      assert.equal(r.header('location'), `/v2/${repo}/blobs/${sha256(data)}`);
      assert.equal(r.header('docker-content-digest'), sha256(data));
    },
  },
  {
    name: 'POST then PUT: 202 with Location and Docker-Upload-UUID, then 201',
    async run(c, repo) {
      const start = await c.req('POST', `/v2/${repo}/blobs/uploads/`);
      assert.equal(start.status, 202);
      const loc = start.header('location') as string;
      assert.ok(loc.startsWith(`/v2/${repo}/blobs/uploads/`));
      assert.ok(start.header('docker-upload-uuid'));
      assert.equal(start.header('range'), '0-0');
      const put = await c.req('PUT', `${loc}?digest=${sha256('two-step')}`, { body: 'two-step', headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 201);
      assert.equal((await c.req('GET', `/v2/${repo}/blobs/${sha256('two-step')}`)).body.toString(), 'two-step');
    },
  },
  {
    name: 'chunked push: PATCH with Content-Range, GET status 204 with Range, PUT completes',
    async run(c, repo) {
      const loc = (await c.req('POST', `/v2/${repo}/blobs/uploads/`)).header('location') as string;
      const p1 = await c.req('PATCH', loc, { body: 'chunk-one|', headers: { 'Content-Range': '0-9', 'Content-Type': 'application/octet-stream' } });
      assert.equal(p1.status, 202);
      assert.equal(p1.header('range'), '0-9');
      const p2 = await c.req('PATCH', p1.header('location') as string, { body: 'chunk-two', headers: { 'Content-Range': '10-18' } });
      assert.equal(p2.status, 202);
      assert.equal(p2.header('range'), '0-18');
      const status = await c.req('GET', loc);
      assert.equal(status.status, 204);
      assert.equal(status.header('range'), '0-18');
      assert.equal(status.header('location'), loc);
      const digest = sha256('chunk-one|chunk-two');
      const put = await c.req('PUT', `${loc}?digest=${digest}`);
      assert.equal(put.status, 201);
      assert.equal((await c.req('GET', `/v2/${repo}/blobs/${digest}`)).body.toString(), 'chunk-one|chunk-two');
    },
  },
  {
    name: 'streamed PATCH without Content-Range appends, final chunk may come with the PUT',
    async run(c, repo) {
      const loc = (await c.req('POST', `/v2/${repo}/blobs/uploads/`)).header('location') as string;
      const p = await c.req('PATCH', loc, { body: 'streamed-' });
      assert.equal(p.status, 202);
      const digest = sha256('streamed-tail');
      const put = await c.req('PUT', `${loc}?digest=${digest}`, { body: 'tail', headers: { 'Content-Range': '9-12' } });
      assert.equal(put.status, 201);
    },
  },
  {
    name: 'out-of-order chunk is 416 and the upload keeps its data',
    async run(c, repo) {
      const loc = (await c.req('POST', `/v2/${repo}/blobs/uploads/`)).header('location') as string;
      await c.req('PATCH', loc, { body: 'abcde', headers: { 'Content-Range': '0-4' } });
      const gap = await c.req('PATCH', loc, { body: 'xyz', headers: { 'Content-Range': '10-12' } });
      assertError(gap, 416, 'RANGE_INVALID');
      assert.equal((await c.req('GET', loc)).header('range'), '0-4');
    },
  },
  {
    name: 'repeated chunk is 416',
    async run(c, repo) {
      const loc = (await c.req('POST', `/v2/${repo}/blobs/uploads/`)).header('location') as string;
      await c.req('PATCH', loc, { body: 'abcde', headers: { 'Content-Range': '0-4' } });
      assertError(await c.req('PATCH', loc, { body: 'abcde', headers: { 'Content-Range': '0-4' } }), 416, 'RANGE_INVALID');
    },
  },
  {
    name: 'cancel an upload with DELETE: 204, then the session is unknown',
    async run(c, repo) {
      const loc = (await c.req('POST', `/v2/${repo}/blobs/uploads/`)).header('location') as string;
      await c.req('PATCH', loc, { body: 'abc' });
      assert.equal((await c.req('DELETE', loc)).status, 204);
      assertError(await c.req('GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN');
      assertError(await c.req('PUT', `${loc}?digest=${sha256('abc')}`), 404, 'BLOB_UPLOAD_UNKNOWN');
    },
  },
  {
    name: 'a blob addressed by a sha512 digest is verified, stored and served',
    async run(c, repo) {
      const data = 'sha512 content';
      const digest = `sha512:${createHash('sha512').update(data).digest('hex')}`;
      const r = await c.req('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { body: data });
      assert.equal(r.status, 201);
      assert.equal(r.header('docker-content-digest'), digest);
      const g = await c.req('GET', `/v2/${repo}/blobs/${digest}`);
      assert.equal(g.body.toString(), data);
      assert.equal(g.header('docker-content-digest'), digest);
    },
  },
  {
    name: 'a zero-length blob can be pushed and pulled',
    async run(c, repo) {
      const d = await c.pushBlob(repo, '');
      const r = await c.req('GET', `/v2/${repo}/blobs/${d}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 0);
    },
  },
  {
    name: 'cross-repository mount: 201 when the blob is in `from`',
    async run(c, repo) {
      const d = await c.pushBlob(`${repo}/src`, 'mount-me');
      const r = await c.req('POST', `/v2/${repo}/dst/blobs/uploads/?mount=${d}&from=${repo}/src`);
      assert.equal(r.status, 201);
      assert.equal(r.header('location'), `/v2/${repo}/dst/blobs/${d}`);
      assert.equal((await c.req('GET', `/v2/${repo}/dst/blobs/${d}`)).body.toString(), 'mount-me');
    },
  },
  {
    name: 'cross-repository mount falls back to 202 with an upload session when it cannot mount',
    async run(c, repo) {
      const missing = await c.req('POST', `/v2/${repo}/dst/blobs/uploads/?mount=${sha256('absent')}&from=${repo}/src`);
      assert.equal(missing.status, 202);
      assert.ok(missing.header('docker-upload-uuid'));
      const noFrom = await c.req('POST', `/v2/${repo}/dst/blobs/uploads/?mount=${sha256('absent')}`);
      assert.equal(noFrom.status, 202);
      const d = await c.pushBlob(`${repo}/private`, 'not-yours');
      const badFrom = await c.req('POST', `/v2/${repo}/dst/blobs/uploads/?mount=${d}&from=${repo}/elsewhere`);
      assert.equal(badFrom.status, 202);
    },
  },
  {
    name: 'manifest PUT by tag answers 201 with Location and Docker-Content-Digest',
    async run(c, repo) {
      const layer = await c.pushBlob(repo, 'L');
      const cfg = await c.pushBlob(repo, '{}');
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 1 }],
      });
      const r = await c.req('PUT', `/v2/${repo}/manifests/latest`, { body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 201);
      assert.equal(r.header('docker-content-digest'), sha256(body));
      assert.equal(r.header('location'), `/v2/${repo}/manifests/${sha256(body)}`);
    },
  },
  {
    name: 'manifest PUT by digest stores it untagged',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'tmp');
      const r = await c.req('PUT', `/v2/${repo}/manifests/${img.digest}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(r.status, 201);
      assert.equal(r.header('docker-content-digest'), img.digest);
    },
  },
  {
    name: 'manifest whose mediaType disagrees with Content-Type is MANIFEST_INVALID',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      const r = await c.req('PUT', `/v2/${repo}/manifests/v2`, { body: img.body, headers: { 'Content-Type': OCI_INDEX } });
      assertError(r, 400, 'MANIFEST_INVALID');
    },
  },
  {
    name: 'manifest with a subject answers OCI-Subject and appears in the referrers API',
    async run(c, repo) {
      const subject = await c.pushImage(repo, 'v1');
      const art = await c.pushImage(repo, 'sig', { artifactType: 'application/vnd.example.sig', subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length }, annotations: { a: 'b' } });
      const put = await c.req('PUT', `/v2/${repo}/manifests/sig`, { body: art.body, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(put.header('oci-subject'), subject.digest);
      const r = await c.req('GET', `/v2/${repo}/referrers/${subject.digest}`);
      assert.equal(r.status, 200);
      assert.equal(r.header('content-type'), OCI_INDEX);
      const idx = r.json<{ schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> }>();
      assert.equal(idx.schemaVersion, 2);
      assert.deepEqual(idx.manifests, [{ mediaType: OCI_MANIFEST, digest: art.digest, size: art.body.length, artifactType: 'application/vnd.example.sig', annotations: { a: 'b' } }]);
    },
  },
  {
    name: 'referrers filtered by artifactType answer OCI-Filters-Applied',
    async run(c, repo) {
      const subject = await c.pushImage(repo, 'v1');
      const s = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length };
      const sig = await c.pushImage(repo, 'sig', { artifactType: 'application/vnd.example.sig', subject: s });
      await c.pushImage(repo, 'sbom', { artifactType: 'application/vnd.example.sbom', subject: s });
      const all = await c.req('GET', `/v2/${repo}/referrers/${subject.digest}`);
      assert.equal(all.json<{ manifests: unknown[] }>().manifests.length, 2);
      assert.equal(all.header('oci-filters-applied'), undefined);
      const f = await c.req('GET', `/v2/${repo}/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
      assert.equal(f.header('oci-filters-applied'), 'artifactType');
      assert.deepEqual(
        f.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest),
        [sig.digest],
      );
    },
  },
  {
    name: 'referrers of an unknown digest is an empty index; a malformed digest is 400',
    async run(c, repo) {
      const r = await c.req('GET', `/v2/${repo}/referrers/${sha256('nobody')}`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
      assertError(await c.req('GET', `/v2/${repo}/referrers/sha256:zz`), 400, 'DIGEST_INVALID');
    },
  },
  {
    name: 'a deleted referrer leaves the referrers list',
    async run(c, repo) {
      const subject = await c.pushImage(repo, 'v1');
      const art = await c.pushImage(repo, 'sig', { subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.body.length } });
      assert.equal((await c.req('DELETE', `/v2/${repo}/manifests/${art.digest}`)).status, 202);
      assert.deepEqual((await c.req('GET', `/v2/${repo}/referrers/${subject.digest}`)).json<{ manifests: unknown[] }>().manifests, []);
    },
  },
  {
    name: 'image index referencing pushed children is accepted; a missing child is MANIFEST_BLOB_UNKNOWN',
    async run(c, repo) {
      const a = await c.pushImage(repo, 'a');
      const index = (children: string[]) =>
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((d) => ({ mediaType: OCI_MANIFEST, digest: d, size: a.body.length, platform: { architecture: 'amd64', os: 'linux' } })) });
      const ok = await c.req('PUT', `/v2/${repo}/manifests/multi`, { body: index([a.digest]), headers: { 'Content-Type': OCI_INDEX } });
      assert.equal(ok.status, 201);
      const bad = await c.req('PUT', `/v2/${repo}/manifests/broken`, { body: index([a.digest, sha256('ghost')]), headers: { 'Content-Type': OCI_INDEX } });
      assertError(bad, 404, 'MANIFEST_BLOB_UNKNOWN');
    },
  },
  {
    name: 'Docker v2 schema 2 manifest and manifest list round-trip',
    async run(c, repo) {
      const cfg = await c.pushBlob(repo, '{"architecture":"amd64","os":"linux"}');
      const layer = await c.pushBlob(repo, 'docker-layer');
      const m = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 37, digest: cfg },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 12, digest: layer }],
      });
      const r = await c.req('PUT', `/v2/${repo}/manifests/v1`, { body: m, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(r.status, 201);
      const list = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: m.length, digest: sha256(m), platform: { architecture: 'amd64', os: 'linux' } }],
      });
      assert.equal((await c.req('PUT', `/v2/${repo}/manifests/list`, { body: list, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.list.v2+json' } })).status, 201);
      const g = await c.req('GET', `/v2/${repo}/manifests/list`);
      assert.equal(g.header('content-type'), 'application/vnd.docker.distribution.manifest.list.v2+json');
      assert.equal(g.body.toString(), list);
    },
  },
  {
    name: 'BuildKit cache index listing layer blobs round-trips',
    async run(c, repo) {
      const layer = await c.pushBlob(repo, 'cache-layer');
      const cfg = await c.pushBlob(repo, '{"layers":[]}');
      const idx = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: 11, annotations: { 'buildkit/createdat': '2024-01-01' } },
          { mediaType: 'application/vnd.buildkit.cacheconfig.v0', digest: cfg, size: 13 },
        ],
      });
      const r = await c.req('PUT', `/v2/${repo}/manifests/cache`, { body: idx, headers: { 'Content-Type': OCI_INDEX } });
      assert.equal(r.status, 201);
      assert.equal((await c.req('GET', `/v2/${repo}/manifests/cache`)).body.toString(), idx);
    },
  },
  {
    name: 'artifact with a custom config media type and no layers round-trips',
    async run(c, repo) {
      const cfg = await c.pushBlob(repo, 'helm-chart-config');
      const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: cfg, size: 17 }, layers: [] });
      assert.equal((await c.req('PUT', `/v2/${repo}/manifests/chart`, { body, headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
    },
  },
  // ---- content discovery ----
  {
    name: 'tag list with n and last paginates with a Link header; n=0 is empty',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'a');
      for (const t of ['b', 'c', 'd']) await c.req('PUT', `/v2/${repo}/manifests/${t}`, { body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
      const all = await c.req('GET', `/v2/${repo}/tags/list`);
      assert.deepEqual(all.json(), { name: repo, tags: ['a', 'b', 'c', 'd'] });
      const p1 = await c.req('GET', `/v2/${repo}/tags/list?n=2`);
      assert.deepEqual(p1.json<{ tags: string[] }>().tags, ['a', 'b']);
      assert.equal(p1.header('link'), `</v2/${repo}/tags/list?n=2&last=b>; rel="next"`);
      const p2 = await c.req('GET', `/v2/${repo}/tags/list?n=2&last=b`);
      assert.deepEqual(p2.json<{ tags: string[] }>().tags, ['c', 'd']);
      assert.equal(p2.header('link'), undefined);
      assert.deepEqual((await c.req('GET', `/v2/${repo}/tags/list?last=c`)).json<{ tags: string[] }>().tags, ['d']);
      assert.deepEqual((await c.req('GET', `/v2/${repo}/tags/list?n=0`)).json<{ tags: string[] }>().tags, []);
    },
  },
  {
    name: 'tag list of an unknown repository is 404 NAME_UNKNOWN',
    async run(c, repo) {
      assertError(await c.req('GET', `/v2/${repo}/never/tags/list`), 404, 'NAME_UNKNOWN');
    },
  },
  {
    name: 'catalog lists repositories with n/last pagination and Link',
    async run(c, repo) {
      for (const r of ['x1', 'x2', 'x3']) await c.pushImage(`${repo}/${r}`, 'v1');
      const all = (await c.req('GET', '/v2/_catalog?n=1000')).json<{ repositories: string[] }>().repositories.filter((r) => r.startsWith(`${repo}/`));
      assert.deepEqual(all, [`${repo}/x1`, `${repo}/x2`, `${repo}/x3`]);
      const p = await c.req('GET', `/v2/_catalog?n=2&last=${repo}/x1`);
      assert.deepEqual(p.json<{ repositories: string[] }>().repositories.slice(0, 2), [`${repo}/x2`, `${repo}/x3`]);
      const first = await c.req('GET', '/v2/_catalog?n=1');
      assert.match(first.header('link') ?? '', /^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
    },
  },
  // ---- content management ----
  {
    name: 'DELETE of a tag removes only the tag',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      assert.equal((await c.req('DELETE', `/v2/${repo}/manifests/v1`)).status, 202);
      assertError(await c.req('GET', `/v2/${repo}/manifests/v1`), 404, 'MANIFEST_UNKNOWN');
      assert.equal((await c.req('GET', `/v2/${repo}/manifests/${img.digest}`)).status, 200);
    },
  },
  {
    name: 'DELETE of a manifest by digest removes it and its tags',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      assert.equal((await c.req('DELETE', `/v2/${repo}/manifests/${img.digest}`)).status, 202);
      assertError(await c.req('GET', `/v2/${repo}/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
      assertError(await c.req('GET', `/v2/${repo}/manifests/v1`), 404, 'MANIFEST_UNKNOWN');
      assertError(await c.req('DELETE', `/v2/${repo}/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN');
    },
  },
  {
    name: 'DELETE of a blob unlinks it from the repository',
    async run(c, repo) {
      const d = await c.pushBlob(repo, 'delete-me');
      assert.equal((await c.req('DELETE', `/v2/${repo}/blobs/${d}`)).status, 202);
      assertError(await c.req('GET', `/v2/${repo}/blobs/${d}`), 404, 'BLOB_UNKNOWN');
      assertError(await c.req('DELETE', `/v2/${repo}/blobs/${d}`), 404, 'BLOB_UNKNOWN');
    },
  },
  {
    name: 'a method a route does not answer is 405 UNSUPPORTED with Allow',
    async run(c, repo) {
      const r = await c.req('POST', `/v2/${repo}/tags/list`);
      assertError(r, 405, 'UNSUPPORTED');
      assert.equal(r.header('allow'), 'GET');
    },
  },
  {
    name: 'deletes are refused with UNSUPPORTED when storage.delete.enabled is false',
    config: 'nodelete',
    async run(c, repo) {
      const img = await c.pushImage(repo, 'v1');
      assertError(await c.req('DELETE', `/v2/${repo}/manifests/${img.digest}`), 405, 'UNSUPPORTED');
      assertError(await c.req('DELETE', `/v2/${repo}/blobs/${img.layer}`), 405, 'UNSUPPORTED');
      assert.equal((await c.req('GET', `/v2/${repo}/manifests/v1`)).status, 200);
    },
  },
  // ---- read-only mode ----
  {
    name: 'read-only mode: pulls work, every write is refused with UNSUPPORTED',
    config: 'readonly',
    async run(c, repo) {
      assert.equal((await c.req('GET', `/v2/seeded/img/manifests/v1`)).status, 200);
      assert.equal((await c.req('GET', '/v2/_catalog')).status, 200);
      for (const [method, path] of [
        ['POST', `/v2/${repo}/blobs/uploads/`],
        ['PUT', `/v2/${repo}/manifests/v1`],
        ['DELETE', `/v2/seeded/img/manifests/v1`],
        ['PATCH', `/v2/${repo}/blobs/uploads/00000000-0000-0000-0000-000000000000`],
      ] as const) {
        const r = await c.req(method, path, { body: '{}' });
        assertError(r, 405, 'UNSUPPORTED');
        assert.match(r.body.toString(), /read-only/);
      }
    },
  },
  // ---- schema 1 ----
  {
    name: 'schema 1 manifests are refused unless compatibility.schema1.enabled',
    async run(c, repo) {
      const layer = await c.pushBlob(repo, 's1-layer');
      const { body } = signedSchema1(repo, 'v1', [layer]);
      assertError(await c.req('PUT', `/v2/${repo}/manifests/v1`, { body, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } }), 405, 'UNSUPPORTED');
    },
  },
  {
    name: 'signed schema 1 is verified and addressed by its payload digest when enabled',
    config: 'schema1',
    async run(c, repo) {
      const layer = await c.pushBlob(repo, 's1-layer');
      const { body, payloadDigest } = signedSchema1(repo, 'v1', [layer]);
      const r = await c.req('PUT', `/v2/${repo}/manifests/v1`, { body, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } });
      assert.equal(r.status, 201, r.body.toString());
      assert.equal(r.header('docker-content-digest'), payloadDigest);
      const g = await c.req('GET', `/v2/${repo}/manifests/${payloadDigest}`);
      assert.ok(g.body.equals(body));
      assert.equal(g.header('content-type'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      const tampered = Buffer.from(body.toString().replace('"v1"', '"v2"'));
      assertError(await c.req('PUT', `/v2/${repo}/manifests/v2`, { body: tampered, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' } }), 400, 'MANIFEST_UNVERIFIED');
    },
  },
];
