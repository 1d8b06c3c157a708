/**
 * The `s3` driver on Ceph's RADOS Gateway (test/support/rgw.ts): the shared
 * driver suite, and the server-side paths s3rver cannot run — appends by
 * `UploadPartCopy` and multipart copies for moves — seen through a counting
 * proxy that forwards requests unchanged (signatures included).
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { requireRgw, startRgw } from '../support/rgw.js';
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
  runDriverSuite('s3 on Ceph RGW', async () => driverFor(rgw!.section('wharf-suite', `/run-${n++}`)));
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
