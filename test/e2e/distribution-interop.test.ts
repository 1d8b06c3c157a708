/**
 * Interop with CNCF Distribution on one data directory: what skopeo pushes to
 * Distribution, Wharf serves with identical digests, and the reverse.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout, type Desc } from '../support/oci-layout.js';
import { startDistribution, type DistributionProcess } from '../support/distribution.js';
import { requireCommand, run } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo') ?? requireCommand('docker-registry');
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('interop with CNCF Distribution on a shared data directory', { skip }, () => {
  let dist: DistributionProcess;
  let wharf: TestRegistry;
  let work: string;
  let layout: OciLayout;
  let image: Desc;
  let index: Desc;

  before(async () => {
    work = await tempDir('wharf-interop-');
    const root = join(work, 'data');
    dist = await startDistribution(root, work);
    wharf = await startWharf({ database: { enabled: false } }, root);
    layout = await OciLayout.create(join(work, 'src'));
    image = await layout.image({ tag: 'v1', layers: 2 });
    index = await layout.multiArch('multi');
    await layout.flush();
  });
  after(async () => {
    await dist?.stop();
    await wharf?.close();
  });

  async function manifestDigest(host: string, ref: string): Promise<string> {
    const out = await tempDir('out-', work);
    await run('skopeo', ['copy', ...TLS, `docker://${host}/${ref}`, `dir:${out}`]);
    return sha(await readFile(join(out, 'manifest.json')));
  }

  it('serves from Wharf what skopeo pushed to Distribution', async () => {
    await run('skopeo', ['copy', ...TLS, `oci:${layout.dir}:v1`, `docker://${dist.host}/from-dist/img:v1`]);
    await run('skopeo', ['copy', ...TLS, '--format', 'v2s2', `oci:${layout.dir}:v1`, `docker://${dist.host}/from-dist/docker:v1`]);
    await run('skopeo', ['copy', ...TLS, '--all', `oci:${layout.dir}:multi`, `docker://${dist.host}/from-dist/multi:latest`]);
    assert.equal(await manifestDigest(wharf.host, 'from-dist/img:v1'), image.digest);
    assert.equal(await manifestDigest(wharf.host, 'from-dist/docker:v1'), await manifestDigest(dist.host, 'from-dist/docker:v1'));
    const raw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${wharf.host}/from-dist/multi:latest`]);
    assert.equal(sha(Buffer.from(raw)), index.digest);
    const tags = await (await fetch(`${wharf.url}/v2/from-dist/img/tags/list`)).json();
    assert.deepEqual(tags, { name: 'from-dist/img', tags: ['v1'] });
  });

  it('serves from Distribution what skopeo pushed to Wharf', async () => {
    await run('skopeo', ['copy', ...TLS, `oci:${layout.dir}:v1`, `docker://${wharf.host}/from-wharf/img:v1`]);
    await run('skopeo', ['copy', ...TLS, '--all', `oci:${layout.dir}:multi`, `docker://${wharf.host}/from-wharf/multi:latest`]);
    assert.equal(await manifestDigest(dist.host, 'from-wharf/img:v1'), image.digest);
    const raw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${dist.host}/from-wharf/multi:latest`]);
    assert.equal(sha(Buffer.from(raw)), index.digest);
  });

  it('both list the same catalog and tags', async () => {
    const a = await (await fetch(`${wharf.url}/v2/_catalog`)).json();
    const b = await (await fetch(`${dist.url}/v2/_catalog`)).json();
    assert.deepEqual(a, b);
    assert.deepEqual((a as { repositories: string[] }).repositories, ['from-dist/docker', 'from-dist/img', 'from-dist/multi', 'from-wharf/img', 'from-wharf/multi']);
  });

  it('a tag deleted through Wharf is gone in Distribution', async () => {
    const res = await fetch(`${wharf.url}/v2/from-wharf/img/manifests/${image.digest}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    const d = await fetch(`${dist.url}/v2/from-wharf/img/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(d.status, 404);
  });
});
