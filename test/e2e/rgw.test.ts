/**
 * Wharf on Ceph's RADOS Gateway, which checks every signature: skopeo push
 * and pull with redirects (the gateway verifies the presigned URL, and
 * refuses it once tampered with), and chunked uploads whose PATCHes add parts
 * to one open multipart upload.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand } from '../support/tools.js';
import { pushPullFollowRedirect } from '../support/redirects.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { requireRgw, startRgw } from '../support/rgw.js';
import type { S3Emulator } from '../support/s3.js';
import { sha256, TestClient } from '../support/http.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('skopeo') ?? requireRgw();

describe('storage on Ceph RGW', { skip }, () => {
  let rgw: S3Emulator;
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    rgw = await startRgw();
    await rgw.createBucket('registry');
    reg = await startWharf({ storage: { s3: { ...rgw.section('registry', '/wharf'), chunksize: 5 * 1024 * 1024 }, delete: { enabled: true } } });
    work = await tempDir('wharf-rgw-e2e-');
  });
  after(async () => {
    await reg?.close();
    await rgw?.stop();
  });

  it('skopeo push and pull; the gateway verifies the presigned redirect and refuses a tampered one', async () => {
    const layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 300_000 });
    await layout.flush();
    const { location } = await pushPullFollowRedirect(reg, layout.dir, 'rgw/app', join(work, 'out'));
    assert.ok(location.href.startsWith(`${rgw.endpoint}/registry/wharf/docker/registry/v2/blobs/sha256/`), location.href);
    const sig = location.searchParams.get('X-Amz-Signature')!;
    location.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
    assert.equal((await fetch(location)).status, 403, 'the gateway checks the signature');
  });

  // The last chunk either travels in the PUT (its writer commits) or not (the PUT finishes the open upload).
  for (const lastInPut of [false, true]) {
    it(`a chunked upload of PATCHes lands intact, last chunk ${lastInPut ? 'in the PUT' : 'in a PATCH'}`, async () => {
      const client = new TestClient(reg.url);
      const part = 6 * 1024 * 1024;
      const data = Buffer.alloc(3 * part + 12345);
      for (let i = 0; i < data.length; i += 512) data[i] = (i / 512) % 256;
      const start = await client.req('POST', `/v2/rgw/chunked${Number(lastInPut)}/blobs/uploads/`);
      assert.equal(start.status, 202);
      let location = start.header('location')!.replace(/^https?:\/\/[^/]+/, '');
      const patchedEnd = lastInPut ? 3 * part : data.length;
      for (let off = 0; off < patchedEnd; off += part) {
        const chunk = data.subarray(off, Math.min(patchedEnd, off + part));
        const patch = await client.req('PATCH', location, { body: chunk, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${off}-${off + chunk.length - 1}` } });
        assert.equal(patch.status, 202, patch.body.toString());
        assert.equal(patch.header('range'), `0-${off + chunk.length - 1}`);
        location = patch.header('location')!.replace(/^https?:\/\/[^/]+/, '');
      }
      const digest = sha256(data);
      const rest = data.subarray(patchedEnd);
      const put = await client.req('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, lastInPut ? { body: rest, headers: { 'Content-Type': 'application/octet-stream' } } : {});
      assert.equal(put.status, 201, put.body.toString());
      const got = await fetch(`${reg.url}/v2/rgw/chunked${Number(lastInPut)}/blobs/${digest}`);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), digest);
    });
  }
});
