/**
 * End-to-end with skopeo (Debian's): OCI image, Docker v2s2 image, multi-arch
 * index and an artifact with a subject go into Wharf and back out with
 * identical digests.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout, type Desc } from '../support/oci-layout.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { REDIS_CACHE, requireRedis } from '../support/redis.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo');
const noPostgres = await requirePostgres();
const noRedis = noPostgres ?? (await requireRedis());

/** The metadata setups every skopeo case runs in. */
const SETUPS: Array<{ mode: 'embedded' | 'legacy' | 'database' | 'database+redis'; skip: string | undefined }> = [
  { mode: 'embedded', skip },
  { mode: 'legacy', skip },
  { mode: 'database', skip: skip ?? noPostgres },
  { mode: 'database+redis', skip: skip ?? noRedis },
];
const TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

for (const setup of SETUPS)
  describe(`skopeo end-to-end, ${setup.mode} metadata`, { skip: setup.skip }, () => {
    let reg: TestRegistry;
    let tdb: TestDatabase | undefined;
    let layout: OciLayout;
    let image: Desc;
    let index: Desc;
    let work: string;

    before(async () => {
      if (setup.mode.startsWith('database')) tdb = await createMigratedTestDatabase();
      const database = tdb ? tdb.section : { enabled: setup.mode === 'embedded' };
      reg = await startWharf({ database, ...(setup.mode === 'database+redis' ? { redis: { cache: REDIS_CACHE } } : {}) });
      assert.equal(reg.node.services.metadata.mode, setup.mode === 'embedded' ? 'database' : setup.mode);
      work = await tempDir('wharf-skopeo-');
      layout = await OciLayout.create(join(work, 'src'));
      image = await layout.image({ tag: 'v1', layers: 3, layerSize: 300_000 });
      index = await layout.multiArch('multi');
      await layout.artifact('sbom', image);
      await layout.flush();
    });
    after(async () => {
      await reg?.close();
      await tdb?.drop();
    });

    const pushedDigest = (src: string, dest: string, extra: string[] = []) => skopeoCopy(src, dest, extra);

    async function pulledManifestDigest(ref: string, extra: string[] = []): Promise<string> {
      const out = await tempDir('out-', work);
      await run('skopeo', ['copy', ...TLS, ...extra, ref, `dir:${out}`]);
      return sha(await readFile(join(out, 'manifest.json')));
    }

    it('copies an OCI image in and out with identical digests', async () => {
      const pushed = await pushedDigest(`oci:${layout.dir}:v1`, `docker://${reg.host}/e2e/oci:v1`);
      assert.equal(pushed, image.digest);
      const raw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/e2e/oci:v1`]);
      assert.equal(sha(Buffer.from(raw)), image.digest);
      assert.equal(await pulledManifestDigest(`docker://${reg.host}/e2e/oci:v1`), image.digest);
      assert.equal(await pulledManifestDigest(`docker://${reg.host}/e2e/oci@${image.digest}`), image.digest);
    });

    it('copies a Docker v2 schema 2 image in and out with identical digests', async () => {
      const pushed = await pushedDigest(`oci:${layout.dir}:v1`, `docker://${reg.host}/e2e/docker:v1`, ['--format', 'v2s2']);
      const raw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/e2e/docker:v1`]);
      assert.equal(JSON.parse(raw).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      assert.equal(sha(Buffer.from(raw)), pushed);
      assert.equal(await pulledManifestDigest(`docker://${reg.host}/e2e/docker:v1`), pushed);
      // And through a second registry hop: registry to registry keeps the digest.
      const again = await pushedDigest(`docker://${reg.host}/e2e/docker:v1`, `docker://${reg.host}/e2e/docker-copy:v1`);
      assert.equal(again, pushed);
    });

    it('copies a multi-arch index with --all and keeps every child', async () => {
      const pushed = await pushedDigest(`oci:${layout.dir}:multi`, `docker://${reg.host}/e2e/multi:latest`, ['--all']);
      assert.equal(pushed, index.digest);
      const raw = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/e2e/multi:latest`])) as { manifests: Desc[] };
      assert.equal(raw.manifests.length, 2);
      for (const child of raw.manifests) {
        const childRaw = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/e2e/multi@${child.digest}`]);
        assert.equal(sha(Buffer.from(childRaw)), child.digest);
      }
      const out = await tempDir('oci-out-', work);
      await run('skopeo', ['copy', ...TLS, '--all', `docker://${reg.host}/e2e/multi:latest`, `oci:${out}:multi`]);
      const outIndex = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Desc[] };
      assert.equal(outIndex.manifests[0]?.digest, index.digest);
    });

    it('copies an artifact with a subject and lists it as a referrer', async () => {
      await pushedDigest(`oci:${layout.dir}:v1`, `docker://${reg.host}/e2e/art:v1`);
      const art = await pushedDigest(`oci:${layout.dir}:sbom`, `docker://${reg.host}/e2e/art:sbom`);
      const res = await fetch(`${reg.url}/v2/e2e/art/referrers/${image.digest}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { manifests: Desc[] };
      assert.deepEqual(
        body.manifests.map((m) => [m.digest, m.artifactType]),
        [[art, 'application/vnd.example.sbom.v1+json']],
      );
      assert.equal(await pulledManifestDigest(`docker://${reg.host}/e2e/art:sbom`), art);
    });

    it('lists tags the clients pushed', async () => {
      const tags = JSON.parse(await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${reg.host}/e2e/art`])) as { Tags: string[] };
      assert.deepEqual(tags.Tags.sort(), ['sbom', 'v1']);
    });
  });
