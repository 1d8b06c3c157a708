/**
 * Container virtual registries end to end (SPEC 8): Wharf pulls through to
 * CNCF Distribution (anonymous) and to another Wharf (the Bearer token
 * flow, anonymous on a public project), driven by skopeo with Wharf's own
 * token flow at `<host>/virtual_registries/container/<id>/…`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkUpstreamUrl, isPrivateAddress } from '../../src/virtual/upstream.js';
import { startDistribution, type DistributionProcess } from '../support/distribution.js';
import { OciLayout } from '../support/oci-layout.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { rootApi } from '../support/root-api.js';
import { tempDir } from '../support/temp.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';

const skip = requireCommand('skopeo') ?? requireCommand('docker-registry');
const PASSWORD = 'virtual-root-password-1234';
const basic = `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}`;

const api = rootApi(PASSWORD);

async function metric(w: WharfProcess, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && labels.split(',').every((l) => line.includes(l))) sum += Number(line.split(' ').at(-1));
  return sum;
}

describe('container virtual registries with skopeo', { skip, timeout: 300_000 }, () => {
  let work: string;
  let layout: OciLayout;
  let dist: DistributionProcess;
  let upstreamWharf: WharfProcess;
  let wharf: WharfProcess;
  let registryId: number;
  const auth = `auth:\n  token: {}\nvirtual_registries:\n  allow_private_upstreams: true\n`;

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-virtual-');
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 300_000 });
    await layout.image({ tag: 'v2', layers: 1, layerSize: 100_000, arch: 'arm64' });
    await layout.multiArch('multi');
    await layout.flush();
    dist = await startDistribution(join(work, 'dist'), work);
    upstreamWharf = await spawnWharf(join(work, 'up'), work, 1, auth);
    wharf = await spawnWharf(join(work, 'wharf'), work, 1, auth);
    // On the upstream Wharf, a public project: pulled anonymously through its token flow.
    const ug = await api(upstreamWharf, 'POST', '/groups', { path: 'pub', visibility: 'public' });
    assert.equal(ug.status, 201, JSON.stringify(ug.body));
    assert.equal((await api(upstreamWharf, 'POST', '/projects', { path: 'tools', namespace_id: ug.body.id, visibility: 'public' })).status, 201);
    const g = await api(wharf, 'POST', '/groups', { path: 'acme' });
    assert.equal(g.status, 201);
    const r = await api(wharf, 'POST', `/groups/${g.body.id}/-/virtual_registries/container/registries`, { name: 'hub' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    registryId = r.body.id;
  });
  after(async () => {
    await dist?.stop();
    await upstreamWharf?.kill();
    await wharf?.kill();
  });

  it('manages registries and upstreams as GitLab does: order, limits, no password in any answer', async () => {
    const a = await api(wharf, 'POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: dist.url, name: 'distribution', cache_validity_hours: 0 });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.position, 1);
    const b = await api(wharf, 'POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: upstreamWharf.url, name: 'wharf' });
    assert.equal(b.status, 201);
    assert.equal(b.body.position, 2);
    assert.equal(b.body.cache_validity_hours, 24);
    // Credentials are sealed and never shown: an upstream of another registry of the group.
    const g0 = await api(wharf, 'GET', '/groups/acme');
    const other = await api(wharf, 'POST', `/groups/${g0.body.id}/-/virtual_registries/container/registries`, { name: 'private' });
    const c = await api(wharf, 'POST', `/virtual_registries/container/registries/${other.body.id}/upstreams`, { url: dist.url, name: 'with-creds', username: 'someone', password: 'sekret-password' });
    assert.equal(c.status, 201);
    assert.equal(c.body.username, 'someone');
    assert.ok(!JSON.stringify(c.body).includes('sekret') && !JSON.stringify((await api(wharf, 'GET', `/virtual_registries/container/upstreams/${c.body.id}`)).body).includes('sekret'));
    const list = await api(wharf, 'GET', `/virtual_registries/container/registries/${registryId}/upstreams`);
    assert.deepEqual(
      list.body.map((u: { name: string }) => u.name),
      ['distribution', 'wharf'],
    );
    assert.ok(!('password' in c.body) && !('password_encrypted' in c.body));
    assert.equal((await api(wharf, 'PATCH', `/virtual_registries/container/upstreams/${b.body.id}`, { description: 'another Wharf' })).status, 200);
    assert.equal((await api(wharf, 'POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: dist.url, username: 'only-user' })).status, 400);
    const g = await api(wharf, 'GET', '/groups/acme');
    for (let i = 0; i < 3; i++) await api(wharf, 'POST', `/groups/${g.body.id}/-/virtual_registries/container/registries`, { name: `r${i}` });
    const sixth = await api(wharf, 'POST', `/groups/${g.body.id}/-/virtual_registries/container/registries`, { name: 'r-too-many' });
    assert.equal(sixth.status, 400);
    assert.match(sixth.body.error ?? sixth.body.message, /at most 5/);
  });

  it('pulls by tag and digest through the virtual registry with the upstream digests; multi-arch too', async () => {
    const pushed = await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${dist.host}/library/app:v1`, []);
    const multi = await skopeoCopy(`oci:${layout.dir}:multi`, `docker://${dist.host}/library/multi:latest`, ['--all']);
    const via = `${wharf.host}/virtual_registries/container/${registryId}`;
    const pulled = await skopeoCopy(`docker://${via}/library/app:v1`, `oci:${join(work, 'p1')}:v1`, ['--src-creds', `root:${PASSWORD}`]);
    assert.equal(pulled, pushed);
    const byDigest = await skopeoCopy(`docker://${via}/library/app@${pushed}`, `oci:${join(work, 'p2')}:v1`, ['--src-creds', `root:${PASSWORD}`]);
    assert.equal(byDigest, pushed);
    assert.equal(await skopeoCopy(`docker://${via}/library/multi:latest`, `oci:${join(work, 'p3')}:m`, ['--src-creds', `root:${PASSWORD}`, '--all']), multi);
    // HEAD of a cached manifest carries its size and digest (GitLab once sent Content-Length: 0).
    const tok = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:virtual_registries/container/${registryId}/library/app:pull`, { headers: { Authorization: basic } });
    const token = ((await tok.json()) as { token: string }).token;
    const head = await fetch(`${wharf.url}/v2/virtual_registries/container/${registryId}/library/app/manifests/v1`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), pushed);
    assert.ok(Number(head.headers.get('content-length')) > 0);
    const entries = await api(
      wharf,
      'GET',
      `/virtual_registries/container/upstreams/${(await api(wharf, 'GET', `/virtual_registries/container/registries/${registryId}/upstreams`)).body[0].id}/cache_entries?search=library/app`,
    );
    assert.ok(entries.body.some((e: { relative_path: string; digest: string }) => e.relative_path === 'library/app/manifests/v1' && e.digest === pushed));
  });

  it('falls through to the next upstream in position order (Bearer token flow of another Wharf)', async () => {
    const pushed = await skopeoCopy(`oci:${layout.dir}:v2`, `docker://${upstreamWharf.host}/pub/tools:v2`, ['--dest-creds', `root:${PASSWORD}`]);
    const via = `${wharf.host}/virtual_registries/container/${registryId}`;
    const pulled = await skopeoCopy(`docker://${via}/pub/tools:v2`, `oci:${join(work, 'p4')}:v2`, ['--src-creds', `root:${PASSWORD}`]);
    assert.equal(pulled, pushed);
  });

  it('concurrent pulls of an uncached blob make one upstream GET; the copy is complete and verified', async () => {
    const layer = Buffer.alloc(8 * 1024 * 1024, 3);
    const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    // A blob pushed straight to the upstream Wharf (anonymous pulls are allowed on the public project).
    const tok = await fetch(`${upstreamWharf.url}/jwt/auth?service=container_registry&scope=repository:pub/tools:push,pull`, { headers: { Authorization: basic } });
    const upToken = ((await tok.json()) as { token: string }).token;
    const start = await fetch(`${upstreamWharf.url}/v2/pub/tools/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${upToken}`, 'Content-Type': 'application/octet-stream' },
      body: layer,
    });
    assert.equal(start.status, 201);
    const before = await metric(upstreamWharf, 'wharf_http_requests_total', 'method="GET",route="blob",status="200"');
    const vt = await fetch(`${wharf.url}/jwt/auth?service=container_registry&scope=repository:virtual_registries/container/${registryId}/pub/tools:pull`, { headers: { Authorization: basic } });
    const token = ((await vt.json()) as { token: string }).token;
    const hashes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`${wharf.url}/v2/virtual_registries/container/${registryId}/pub/tools/blobs/${digest}`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        return `sha256:${createHash('sha256')
          .update(Buffer.from(await res.arrayBuffer()))
          .digest('hex')}`;
      }),
    );
    assert.ok(hashes.every((h) => h === digest));
    const after = await metric(upstreamWharf, 'wharf_http_requests_total', 'method="GET",route="blob",status="200"');
    assert.equal(after - before, 1, 'one upstream GET for 20 concurrent pulls');
  });

  it('with the upstream stopped, cached content still pulls and uncached content is a clear error', async () => {
    await dist.stop();
    const via = `${wharf.host}/virtual_registries/container/${registryId}`;
    const again = await skopeoCopy(`docker://${via}/library/app:v1`, `oci:${join(work, 'p5')}:v1`, ['--src-creds', `root:${PASSWORD}`]);
    assert.match(again, /^sha256:/);
    await assert.rejects(skopeoCopy(`docker://${via}/library/never-pulled:v1`, `oci:${join(work, 'p6')}:v1`, ['--src-creds', `root:${PASSWORD}`]), /not cached and no upstream answered|unavailable|refused|denied/i);
  });

  it('refuses upstream URLs at private addresses unless allowed (SSRF)', async () => {
    assert.ok(isPrivateAddress('127.0.0.1') && isPrivateAddress('10.1.2.3') && isPrivateAddress('169.254.169.254') && isPrivateAddress('::1') && isPrivateAddress('fd00::1'));
    assert.ok(!isPrivateAddress('93.184.216.34'));
    assert.match((await checkUpstreamUrl('http://127.0.0.1:5000', false)) ?? '', /private/);
    assert.match((await checkUpstreamUrl('http://169.254.169.254/latest', false)) ?? '', /private/);
    assert.match((await checkUpstreamUrl('ftp://x', false)) ?? '', /http/);
    assert.equal(await checkUpstreamUrl('http://127.0.0.1:5000', true), undefined);
  });
});
