/**
 * skopeo end to end with storage on an S3 emulator (and on Azurite and a GCS emulator): redirects on (the client
 * follows the presigned URL) and off, legacy and database metadata; HEAD never
 * redirects; the emulator stopped mid-push gives a clean 503 and the retry
 * succeeds once it is back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, skopeoCopy } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { startS3Emulator, type S3Emulator } from '../support/s3.js';
import { sha256, TestClient } from '../support/http.js';
import { startAzurite } from '../support/azurite.js';
import { startGcsEmulator, writeServiceAccountKey } from '../support/gcs.js';
import { requireEmulator } from '../support/emulators.js';
import { pushPullFollowRedirect } from '../support/redirects.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo');
const noPostgres = await requirePostgres();

const copy = (src: string, dest: string) => skopeoCopy(src, dest);

const SETUPS = [
  { name: 'legacy metadata, redirects on', redirect: true, database: false },
  { name: 'legacy metadata, redirects off', redirect: false, database: false },
  { name: 'database metadata, redirects on', redirect: true, database: true },
];

describe('storage on an S3 emulator', { skip: skip ?? requireEmulator('s3rver') }, () => {
  let s3: S3Emulator;
  let layout: OciLayout;
  let work: string;
  let n = 0;

  before(async () => {
    s3 = await startS3Emulator();
    work = await tempDir('wharf-s3-e2e-');
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 300_000 });
    await layout.flush();
  });
  after(() => s3?.stop());

  for (const setup of SETUPS) {
    it(`skopeo push and pull, ${setup.name}`, { skip: setup.database ? noPostgres : undefined }, async () => {
      const bucket = `wharf-e2e-${n++}`;
      await s3.createBucket(bucket);
      let tdb: TestDatabase | undefined;
      if (setup.database) tdb = await createMigratedTestDatabase();
      const reg: TestRegistry = await startWharf({
        storage: { s3: s3.section(bucket, '/registry'), delete: { enabled: true }, redirect: { disable: !setup.redirect } },
        ...(tdb ? { database: tdb.section } : {}),
      });
      try {
        const pushed = await copy(`oci:${layout.dir}:v1`, `docker://${reg.host}/s3/app:v1`);
        const pulled = await copy(`docker://${reg.host}/s3/app:v1`, `oci:${join(work, `out-${bucket}`)}:v1`);
        assert.equal(pulled, pushed);
        const manifest = JSON.parse((await new TestClient(reg.url).req('GET', '/v2/s3/app/manifests/v1', { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } })).body.toString());
        const layer = manifest.layers[0].digest as string;
        const get = await fetch(`${reg.url}/v2/s3/app/blobs/${layer}`, { redirect: 'manual' });
        if (setup.redirect) {
          assert.equal(get.status, 307);
          const location = get.headers.get('location')!;
          assert.ok(location.startsWith(`${s3.endpoint}/${bucket}/registry/docker/registry/v2/blobs/sha256/`), location);
          assert.match(location, /X-Amz-Signature=/);
          const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
          assert.equal(sha256(bytes), layer);
        } else {
          assert.equal(get.status, 200);
          assert.equal(sha256(Buffer.from(await get.arrayBuffer())), layer);
        }
        const head = await fetch(`${reg.url}/v2/s3/app/blobs/${layer}`, { method: 'HEAD', redirect: 'manual' });
        assert.equal(head.status, 200, 'HEAD never redirects');
      } finally {
        await reg.close();
        await tdb?.drop();
      }
    });
  }

  it('the emulator stopped mid-push gives a clean 503, and the retry succeeds', async () => {
    const bucket = `wharf-outage-${n++}`;
    await s3.createBucket(bucket);
    const reg = await startWharf({ storage: { s3: s3.section(bucket), delete: { enabled: true } } });
    try {
      const client = new TestClient(reg.url);
      const start = await client.req('POST', '/v2/outage/app/blobs/uploads/');
      assert.equal(start.status, 202);
      await s3.stop();
      const data = Buffer.alloc(64 * 1024, 7);
      const put = await client.req('PUT', `${start.header('location')!.replace(/^https?:\/\/[^/]+/, '')}?digest=${sha256(data)}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 503);
      assert.equal(put.errorCode(), 'UNAVAILABLE');
      await assert.rejects(copy(`oci:${layout.dir}:v1`, `docker://${reg.host}/outage/app:v1`), /503|unavailable|retry/i);
      await s3.restart();
      const pushed = await copy(`oci:${layout.dir}:v1`, `docker://${reg.host}/outage/app:v1`);
      assert.equal(await copy(`docker://${reg.host}/outage/app:v1`, `oci:${join(work, 'after-outage')}:v1`), pushed);
    } finally {
      await reg.close();
    }
  });

  it('skopeo push and pull with storage on Azurite, redirects on', { skip: requireEmulator('azurite') }, async () => {
    const azurite = await startAzurite();
    try {
      await azurite.createContainer('registry');
      const reg = await startWharf({ storage: { azure: azurite.section('registry', { rootdirectory: '/wharf' }), delete: { enabled: true } } });
      try {
        const { location } = await pushPullFollowRedirect(reg, layout.dir, 'az/app', join(work, 'azure-out'));
        assert.ok(location.href.startsWith(`${azurite.url}/registry/wharf/docker/registry/v2/blobs/`), location.href);
        assert.ok(location.searchParams.get('sig'), 'a SAS signature');
      } finally {
        await reg.close();
      }
    } finally {
      await azurite.stop();
    }
  });

  it('skopeo push and pull with storage on the GCS emulator, redirects on', { skip: requireEmulator('firebase-tools') }, async () => {
    await writeServiceAccountKey(join(work, 'gcs-key.json'));
    const gcs = await startGcsEmulator(join(work, 'gcs-key.json'));
    try {
      await gcs.createBucket('registry');
      const reg = await startWharf({ storage: { gcs: gcs.section('registry', { rootdirectory: '/wharf' }), delete: { enabled: true } } });
      try {
        const { layer, location } = await pushPullFollowRedirect(reg, layout.dir, 'gcs/app', join(work, 'gcs-out'));
        assert.equal(location.origin + location.pathname, `${gcs.endpoint}/registry/wharf/docker/registry/v2/blobs/sha256/${layer.slice(7, 9)}/${layer.slice(7)}/data`);
        assert.ok(location.searchParams.get('X-Goog-Signature'), 'a V4 signature');
      } finally {
        await reg.close();
      }
    } finally {
      await gcs.stop();
    }
  });
});
