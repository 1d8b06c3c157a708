/** The shared driver suite on the `s3` driver against an S3 emulator, plus its start-up checks. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/load.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import { embeddedLocation } from '../../src/db/open.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { startS3Emulator, type S3Emulator } from '../support/s3.js';
import { runDriverSuite } from './driver-suite.js';
import { requireEmulator } from '../support/emulators.js';

const skip = requireEmulator('s3rver');

describe('the s3 driver on s3rver', { skip }, () => {
  let emulator: S3Emulator;
  let n = 0;

  before(async () => {
    emulator = await startS3Emulator();
    await emulator.createBucket('wharf-suite');
  });
  after(() => emulator?.stop());

  const driverFor = (section: Record<string, unknown>, key = 's3'): Promise<StorageDriver> => createStorageDriver(parseConfig({ storage: { [key]: section } }).storage);

  runDriverSuite('s3 (s3rver emulator), parts of 5 MiB', async () => driverFor({ ...emulator.section('wharf-suite', `/run-${process.pid}-${n++}`), chunksize: 5 * 1024 * 1024 }));
  runDriverSuite('s3_v2 behind the same driver, at the bucket root', async () => {
    const bucket = `wharf-root-${n++}`;
    await emulator.createBucket(bucket);
    return driverFor(emulator.section(bucket), 's3_v2');
  });

  describe('s3 driver appends', () => {
    it('appending past a part falls back to reading back when the service has no UploadPartCopy', async () => {
      const d = await driverFor({ ...emulator.section('wharf-suite', `/append-${n++}`), chunksize: 5 * 1024 * 1024, multipartcopychunksize: 5 * 1024 * 1024 });
      const a = Buffer.alloc(6 * 1024 * 1024 + 3, 1);
      const b = Buffer.alloc(2 * 1024 * 1024 + 1, 2);
      const w1 = await d.writer('/big', false);
      await w1.write(a);
      await w1.commit();
      const w2 = await d.writer('/big', true);
      assert.equal(w2.size(), a.length);
      await w2.write(b);
      await w2.commit();
      assert.equal((await d.stat('/big')).size, a.length + b.length);
      const got = await d.getContent('/big');
      assert.ok(got.equals(Buffer.concat([a, b])));
    });
  });

  describe('s3 driver start-up checks', () => {
    it('a bucket that does not exist fails with a message naming the key', async () => {
      const d = await driverFor(emulator.section('no-such-bucket'));
      await assert.rejects(d.health(), (e: ConfigError) => e instanceof ConfigError && /storage\.s3\.bucket: bucket "no-such-bucket" does not exist/.test(e.message));
    });
    it('wrong credentials fail with a message naming the keys', async () => {
      // s3rver does not check signatures; an endpoint answering as S3 does to a bad signature (403) stands in for it.
      const server = createServer((_req, res) => res.writeHead(403, { 'Content-Type': 'application/xml' }).end('<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const d = await driverFor({ ...emulator.section('wharf-suite'), regionendpoint: endpoint, secretkey: 'wrong' });
        await assert.rejects(d.health(), (e: ConfigError) => e instanceof ConfigError && /storage\.s3\.accesskey\/secretkey: access to bucket "wharf-suite" denied/.test(e.message));
      } finally {
        server.close();
      }
    });

    it('an unreachable endpoint is StorageUnavailableError, not a config error', async () => {
      const d = await driverFor({ ...emulator.section('wharf-suite'), regionendpoint: 'http://127.0.0.1:9' });
      await assert.rejects(d.health(), (e: Error) => e.name === 'StorageUnavailableError' && /not reachable/.test(e.message));
    });
    it("object storage refuses the embedded database (it would live in memory or on one node's disk)", () => {
      assert.throws(() => embeddedLocation(parseConfig({ storage: { s3: emulator.section('wharf-suite') } })), /database\.host: with object storage/);
    });

    it('config refuses half credentials, bad bucket names, v2 signatures and two drivers', async () => {
      await assert.rejects(driverFor({ ...emulator.section('wharf-suite'), secretkey: undefined }), /accesskey and storage\.s3\.secretkey must be set together/);
      assert.throws(() => parseConfig({ storage: { s3: { bucket: 'a/b' } } }), /storage\.s3\.bucket/);
      await assert.rejects(driverFor({ ...emulator.section('wharf-suite'), v4auth: false }), /only signature version 4/);
      assert.throws(() => parseConfig({ storage: { s3: { bucket: 'abc' }, filesystem: {} } }), /exactly one storage driver/);
    });
  });
});
