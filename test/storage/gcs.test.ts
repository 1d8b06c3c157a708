/** The shared driver suite on the `gcs` driver against the Firebase storage emulator (test/support/gcs.ts), plus its own checks. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import { embeddedLocation } from '../../src/db/open.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { startGcsEmulator, writeServiceAccountKey, type GcsEmulator } from '../support/gcs.js';
import { runDriverSuite } from './driver-suite.js';
import { tempDir } from '../support/temp.js';
import { requireEmulator } from '../support/emulators.js';

const skip = requireEmulator('firebase-tools');

describe('the gcs driver on the Firebase storage emulator', { skip }, () => {
  let emulator: GcsEmulator;
  let dir: string;
  let n = 0;

  before(async () => {
    dir = await tempDir('wharf-gcs-');
    await writeServiceAccountKey(join(dir, 'key.json'));
    emulator = await startGcsEmulator(join(dir, 'key.json'));
    await emulator.createBucket('wharf-suite');
  });
  after(() => emulator?.stop());

  const driverFor = (section: Record<string, unknown>): Promise<StorageDriver> => createStorageDriver(parseConfig({ storage: { gcs: section } }).storage);

  runDriverSuite('gcs (Firebase storage emulator), under a root directory', async () => driverFor(emulator.section('wharf-suite', { rootdirectory: `/run-${n++}` })));
  runDriverSuite('gcs at the bucket root, parts of 256 KiB', async () => {
    const bucket = `wharf-root-${n++}`;
    await emulator.createBucket(bucket);
    return driverFor(emulator.section(bucket, { chunksize: 256 * 1024 }));
  });

  describe('gcs driver writes', () => {
    it('composes more than 32 parts through intermediate objects, appends by composing, and leaves no parts behind', async () => {
      const d = await driverFor(emulator.section('wharf-suite', { rootdirectory: `/compose-${n++}`, chunksize: 256 * 1024 }));
      const a = Buffer.alloc(40 * 256 * 1024 + 7);
      for (let i = 0; i < a.length; i++) a[i] = (i * 31) % 251;
      const before = emulator.requests.length;
      const w1 = await d.writer('/dir/big', false);
      for (let off = 0; off < a.length; off += 100_000) await w1.write(a.subarray(off, off + 100_000));
      await w1.commit();
      const composes = emulator.requests.slice(before).filter((r) => r.startsWith('POST ') && r.endsWith('/compose'));
      assert.equal(composes.length, 2, '41 parts: one intermediate of 32, then that plus 9');
      const b = Buffer.from('appended bytes');
      const w2 = await d.writer('/dir/big', true);
      assert.equal(w2.size(), a.length);
      await w2.write(b);
      await w2.commit();
      assert.ok((await d.getContent('/dir/big')).equals(Buffer.concat([a, b])));
      assert.deepEqual(await d.list('/dir'), ['/dir/big'], 'no part objects are left or listed');
      assert.equal((await d.stat('/dir/big')).size, a.length + b.length);
    });

    it("a crashed writer's parts are never listed, and deleting the directory removes them", async () => {
      const root = `crash-${n++}`;
      const d = await driverFor(emulator.section('wharf-suite', { rootdirectory: `/${root}`, chunksize: 256 * 1024 }));
      const w = await d.writer('/up/a', false);
      await w.write(Buffer.alloc(300 * 1024, 5)); // one part stored, then the process "dies": no commit, no cancel
      const names = async () => {
        const r = await fetch(`${emulator.endpoint}/storage/v1/b/wharf-suite/o?prefix=${root}/`);
        return ((await r.json()) as { items?: Array<{ name: string }> }).items?.map((i) => i.name) ?? [];
      };
      assert.equal((await names()).filter((x) => x.includes('~part~')).length, 1);
      await assert.rejects(d.stat('/up'), { name: 'PathNotFoundError' }, 'parts alone do not make a directory');
      await d.putContent('/up/b', Buffer.from('b'));
      assert.deepEqual(await d.list('/up'), ['/up/b']);
      await d.delete('/up');
      assert.deepEqual(await names(), []);
    });

    it('a write that fits in one part is a single upload, without compose', async () => {
      const d = await driverFor(emulator.section('wharf-suite', { rootdirectory: `/small-${n++}` }));
      const before = emulator.requests.length;
      const w = await d.writer('/f', false);
      await w.write(Buffer.from('small'));
      await w.commit();
      const sent = emulator.requests.slice(before).filter((r) => r.startsWith('POST '));
      assert.deepEqual(sent, ['POST /upload/storage/v1/b/wharf-suite/o']);
      assert.equal((await d.getContent('/f')).toString(), 'small');
    });

    it('a move rewrites server-side', async () => {
      const d = await driverFor(emulator.section('wharf-suite', { rootdirectory: `/move-${n++}` }));
      await d.putContent('/a', Buffer.from('moved'));
      const before = emulator.requests.length;
      await d.move('/a', '/b/c');
      assert.ok(emulator.requests.slice(before).some((r) => /^POST \/storage\/v1\/b\/wharf-suite\/o\/[^/]+\/rewriteTo\//.test(r)));
      assert.equal((await d.getContent('/b/c')).toString(), 'moved');
    });
  });

  describe('gcs driver redirects', () => {
    it('signs V4 URLs that the emulator serves', async () => {
      const d = await driverFor(emulator.section('wharf-suite', { rootdirectory: '/redirect' }));
      await d.putContent('/blob', Buffer.from('redirected bytes'));
      const url = await d.redirectURL('/blob', 'GET');
      assert.ok(url, 'a URL');
      const u = new URL(url);
      assert.equal(u.pathname, '/wharf-suite/redirect/blob');
      assert.equal(u.searchParams.get('X-Goog-Algorithm'), 'GOOG4-RSA-SHA256');
      assert.match(u.searchParams.get('X-Goog-Credential') ?? '', /^registry@wharf-test\.iam\.gserviceaccount\.com\//);
      assert.equal(u.searchParams.get('X-Goog-Expires'), String(20 * 60));
      assert.equal(await (await fetch(url)).text(), 'redirected bytes');
    });
    it('without a key to sign with, blobs are served through Wharf (no URL)', async () => {
      // Application Default Credentials are tried; not on Google Cloud, there are none (and no metadata server to ask).
      process.env.METADATA_SERVER_DETECTION = 'none';
      const d = await driverFor({ bucket: 'wharf-suite', endpoint: emulator.endpoint, noauth: true, maxretries: 0 });
      assert.equal(await d.redirectURL('/blob', 'GET'), undefined);
    });
  });

  describe('gcs driver start-up checks', () => {
    it('a bucket that does not exist fails with a message naming the key', async () => {
      const d = await driverFor(emulator.section('no-such-bucket'));
      await assert.rejects(d.health(), (e: ConfigError) => e instanceof ConfigError && /storage\.gcs\.bucket: bucket "no-such-bucket" does not exist/.test(e.message));
    });
    it('refused credentials fail with a message naming the key file', async () => {
      // The emulator takes any credentials; an endpoint answering as GCS does to a bad token (401) stands in for Google.
      const server = createServer((_req, res) =>
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError', domain: 'global', message: 'Invalid Credentials' }] } })),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const d = await driverFor({ ...emulator.section('wharf-suite'), endpoint });
        await assert.rejects(d.health(), (e: ConfigError) => e instanceof ConfigError && /storage\.gcs\.keyfile: access to bucket "wharf-suite" denied/.test(e.message));
      } finally {
        server.close();
      }
    });
    it('an unreadable or foreign key file fails when the driver is created, naming the key', async () => {
      await assert.rejects(driverFor({ bucket: 'wharf-suite', keyfile: join(dir, 'missing.json') }), /storage\.gcs\.keyfile: cannot read .*missing\.json/);
      await writeFile(join(dir, 'not-a-key.json'), '{"hello": 1}');
      await assert.rejects(driverFor({ bucket: 'wharf-suite', keyfile: join(dir, 'not-a-key.json') }), /storage\.gcs\.keyfile: .* is not a Google credentials file/);
    });
    it('rejects a chunk size that is not a multiple of 256 KiB, and keyfile with credentials', () => {
      assert.throws(() => parseConfig({ storage: { gcs: { bucket: 'abc', chunksize: 300 * 1024 } } }), /chunksize/);
      assert.throws(() => parseConfig({ storage: { gcs: { bucket: 'abc', keyfile: '/k', credentials: { type: 'service_account' } } } }), /set keyfile or credentials, not both/);
    });
    it('an unreachable endpoint is reported as unavailable, not as configuration', async () => {
      const d = await driverFor({ ...emulator.section('wharf-suite'), endpoint: 'http://127.0.0.1:9', maxretries: 0 });
      await assert.rejects(d.health(), (e: Error) => e.name === 'StorageUnavailableError' && /storage\.gcs: Google Cloud Storage is not reachable/.test(e.message));
    });
    it('refuses the embedded database', () => {
      assert.throws(() => embeddedLocation(parseConfig({ storage: { gcs: { bucket: 'abc' } } })), /database\.host: with object storage/);
    });
  });
});
