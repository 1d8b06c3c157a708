/**
 * The `s3` driver on Ceph's RADOS Gateway (test/support/rgw.ts): the shared
 * driver suite, and the server-side paths s3rver cannot run — appends by
 * `UploadPartCopy` and multipart copies for moves — seen through a counting
 * proxy that forwards requests unchanged (signatures included).
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { RGW_ACCESS_KEY, RGW_SECRET_KEY, requireRgw, startRgw } from '../support/rgw.js';
import type { S3Emulator } from '../support/s3.js';
import { runDriverSuite } from './driver-suite.js';

const skip = requireRgw();
let rgw: S3Emulator | undefined;
let n = 0;

/** Every request as `METHOD path?query [copy]`, the last mark when it carries x-amz-copy-source. */
const seen: string[] = [];
let proxy: Server | undefined;
let proxyEndpoint = '';

before(async () => {
  if (skip) return;
  rgw = await startRgw();
  await rgw.createBucket('wharf-suite');
  const target = new URL(rgw.endpoint);
  proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}${req.headers['x-amz-copy-source'] ? ' [copy]' : ''}`);
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  proxyEndpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
after(async () => {
  proxy?.close();
  await rgw?.stop();
});

const driverFor = (section: Record<string, unknown>): Promise<StorageDriver> => createStorageDriver(parseConfig({ storage: { s3: section } }).storage);

if (!skip) {
  runDriverSuite('s3 on Ceph RGW, parts of 5 MiB', async () => driverFor({ ...rgw!.section('wharf-suite', `/run-${n++}`), chunksize: 5 * 1024 * 1024 }));
}

describe('s3 driver server-side copies on Ceph RGW', { skip }, () => {
  const MiB = 1024 * 1024;

  it('an append past a part copies the existing object with UploadPartCopy and reads nothing back', async () => {
    const d = await driverFor({ ...rgw!.section('wharf-suite', `/append-${n++}`), regionendpoint: proxyEndpoint, chunksize: 5 * MiB, multipartcopychunksize: 5 * MiB });
    const a = Buffer.alloc(11 * MiB + 3);
    for (let i = 0; i < a.length; i += 4096) a[i] = i % 251;
    const b = Buffer.alloc(2 * MiB + 1, 2);
    const w1 = await d.writer('/big', false);
    await w1.write(a);
    await w1.commit();
    const from = seen.length;
    const w2 = await d.writer('/big', true);
    assert.equal(w2.size(), a.length);
    await w2.write(b);
    await w2.commit();
    const during = seen.slice(from);
    const copies = during.filter((r) => r.startsWith('PUT ') && r.includes('partNumber=') && r.endsWith('[copy]'));
    assert.equal(copies.length, 2, `11 MiB in 5 MiB copy parts, the remainder joined to the last: ${during.join(', ')}`);
    assert.ok(!during.some((r) => r.startsWith('GET ') && r.includes('/big')), 'nothing read back');
    assert.ok((await d.getContent('/big')).equals(Buffer.concat([a, b])));
  });

  it('PATCH-style appends kept open add parts to one multipart upload: nothing copied, only the small tail read back', async () => {
    const root = `/open-${n++}`;
    const d = await driverFor({ ...rgw!.section('wharf-suite', root), regionendpoint: proxyEndpoint, chunksize: 5 * MiB });
    const chunks = [Buffer.alloc(6 * MiB, 1), Buffer.alloc(6 * MiB, 2), Buffer.alloc(6 * MiB, 3)];
    const from = seen.length;
    for (const [i, chunk] of chunks.entries()) {
      const w = await d.writer('/up/data', i > 0);
      await w.write(chunk);
      await w.close!();
    }
    await d.finalize!('/up/data');
    const during = seen.slice(from);
    assert.ok(!during.some((r) => r.endsWith('[copy]')), `no part copies: ${during.join(', ')}`);
    const gets = during.filter((r) => r.startsWith('GET '));
    assert.ok(
      gets.every((r) => /~wharf-(open|tail)/.test(r)),
      `only bookkeeping is read: ${gets.join(', ')}`,
    );
    assert.equal(during.filter((r) => r.startsWith('POST ') && r.includes('?uploads')).length, 1, 'one multipart upload for all appends');
    assert.ok((await d.getContent('/up/data')).equals(Buffer.concat(chunks)));
    assert.deepEqual(await d.list('/up'), ['/up/data'], 'state and tail objects are gone');
  });

  it('deleting a directory with an upload left open aborts its multipart upload', async () => {
    const root = `/abort-${n++}`;
    const d = await driverFor({ ...rgw!.section('wharf-suite', root), chunksize: 5 * MiB });
    const w = await d.writer('/up/data', false);
    await w.write(Buffer.alloc(6 * MiB, 9));
    await w.close!();
    const s3 = new S3Client({ region: 'us-east-1', endpoint: rgw!.endpoint, forcePathStyle: true, credentials: { accessKeyId: RGW_ACCESS_KEY, secretAccessKey: RGW_SECRET_KEY } });
    const open = async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'wharf-suite', Prefix: root.slice(1) }))).Uploads ?? [];
    assert.equal((await open()).length, 1);
    await d.delete('/up');
    assert.deepEqual(await open(), []);
    await assert.rejects(d.stat('/up/data'), { name: 'PathNotFoundError' });
  });

  it('a move above the threshold is a multipart copy, part by part', async () => {
    const d = await driverFor({ ...rgw!.section('wharf-suite', `/move-${n++}`), regionendpoint: proxyEndpoint, multipartcopythresholdsize: 5 * MiB, multipartcopychunksize: 5 * MiB });
    const a = Buffer.alloc(12 * MiB, 7);
    await d.putContent('/src', a);
    const from = seen.length;
    await d.move('/src', '/dest');
    const copies = seen.slice(from).filter((r) => r.startsWith('PUT ') && r.includes('partNumber=') && r.endsWith('[copy]'));
    assert.equal(copies.length, 3);
    assert.ok((await d.getContent('/dest')).equals(a));
    await assert.rejects(d.stat('/src'), { name: 'PathNotFoundError' });
  });

  it('a wrong secret key is refused by the gateway and fails start-up naming the keys', async () => {
    const d = await driverFor({ ...rgw!.section('wharf-suite'), secretkey: 'not-the-secret' });
    await assert.rejects(d.health(), /storage\.s3\.accesskey\/secretkey/);
  });
});
